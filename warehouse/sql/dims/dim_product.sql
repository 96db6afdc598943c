-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_product__stage;
INSERT INTO fab.dim_product__stage
SELECT p.product_id, p.name, p.die_area_mm2, toUInt16(ifNull(r.steps, 0))
FROM postgresql({pg_host:String}, {pg_db:String}, 'product', {pg_user:String}, {pg_password:String}, 'landing') AS p
LEFT JOIN (
    SELECT product_id, count() AS steps FROM postgresql({pg_host:String}, {pg_db:String}, 'route_step', {pg_user:String}, {pg_password:String}, 'landing') GROUP BY product_id
) AS r ON r.product_id = p.product_id
SETTINGS join_use_nulls = 1;
EXCHANGE TABLES fab.dim_product AND fab.dim_product__stage;
TRUNCATE TABLE fab.dim_product__stage;
