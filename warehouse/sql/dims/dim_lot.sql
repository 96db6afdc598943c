TRUNCATE TABLE fab.dim_lot;
INSERT INTO fab.dim_lot
SELECT lot_id, product_id, wafer_count, priority, hot_lot, release_ts, due_ts, status
FROM postgresql({pg_host:String}, {pg_db:String}, 'lot', {pg_user:String}, {pg_password:String}, 'landing');
