-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_wafer__stage;
INSERT INTO fab.dim_wafer__stage
SELECT w.wafer_id, w.lot_id, w.slot, l.product_id
FROM postgresql({pg_host:String}, {pg_db:String}, 'wafer', {pg_user:String}, {pg_password:String}, 'landing') AS w
JOIN postgresql({pg_host:String}, {pg_db:String}, 'lot', {pg_user:String}, {pg_password:String}, 'landing') AS l ON l.lot_id = w.lot_id;
EXCHANGE TABLES fab.dim_wafer AND fab.dim_wafer__stage;
TRUNCATE TABLE fab.dim_wafer__stage;
