TRUNCATE TABLE fab.dim_wafer;
INSERT INTO fab.dim_wafer
SELECT w.wafer_id, w.lot_id, w.slot, l.product_id
FROM postgresql({pg_host:String}, {pg_db:String}, 'wafer', {pg_user:String}, {pg_password:String}, 'landing') AS w
JOIN postgresql({pg_host:String}, {pg_db:String}, 'lot', {pg_user:String}, {pg_password:String}, 'landing') AS l ON l.lot_id = w.lot_id;
