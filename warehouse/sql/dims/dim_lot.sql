-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_lot__stage;
INSERT INTO fab.dim_lot__stage
SELECT lot_id, product_id, wafer_count, priority, hot_lot, release_ts, due_ts, status
FROM postgresql({pg_host:String}, {pg_db:String}, 'lot', {pg_user:String}, {pg_password:String}, 'landing');
EXCHANGE TABLES fab.dim_lot AND fab.dim_lot__stage;
TRUNCATE TABLE fab.dim_lot__stage;
