-- Die bins of the wafers sorted on plant-local day {day:Date} (the yield maps' source).
TRUNCATE TABLE fab.fact_die_bin__stage;
INSERT INTO fab.fact_die_bin__stage
SELECT {day:Date} AS day, toDateTime64(r.tested_at, 3, 'UTC') AS ts, r.wafer_id,
       ifNull(s.lot_id, '') AS lot_id, ifNull(l.product_id, '') AS product_id, r.test_program,
       r.die_row, r.die_col, r.bin_code, r.passed
FROM postgresql({pg_host:String}, {pg_db:String}, 'sort_result', {pg_user:String}, {pg_password:String}, 'landing') AS r
LEFT JOIN postgresql({pg_host:String}, {pg_db:String}, 'sort_map', {pg_user:String}, {pg_password:String}, 'landing') AS s
    ON s.wafer_id = r.wafer_id AND s.test_program = r.test_program
LEFT JOIN fab.dim_lot AS l ON l.lot_id = s.lot_id
WHERE r.tested_at >= {day_start:DateTime64(6, 'UTC')} AND r.tested_at < {day_end:DateTime64(6, 'UTC')}
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_die_bin DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_die_bin ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_die_bin__stage;
TRUNCATE TABLE fab.fact_die_bin__stage;
