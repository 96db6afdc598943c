-- Sorted wafers of plant-local day {day:Date}: dies, failed dies and die yield per wafer.
-- Staged, then swapped in whole (a failed build never leaves a half-written day).
TRUNCATE TABLE fab.fact_wafer_sort__stage;
INSERT INTO fab.fact_wafer_sort__stage
SELECT {day:Date} AS day, toDateTime64(s.tested_at, 3, 'UTC') AS ts, s.wafer_id,
       ifNull(s.lot_id, '') AS lot_id, ifNull(l.product_id, '') AS product_id, s.test_program,
       s.map_rows, s.map_cols, s.dies, s.failed_dies,
       if(s.dies > 0, (s.dies - s.failed_dies) / s.dies, 0) AS die_yield
FROM postgresql({pg_host:String}, {pg_db:String}, 'sort_map', {pg_user:String}, {pg_password:String}, 'landing') AS s
LEFT JOIN fab.dim_lot AS l ON l.lot_id = s.lot_id
WHERE s.tested_at >= {day_start:DateTime64(6, 'UTC')} AND s.tested_at < {day_end:DateTime64(6, 'UTC')}
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_wafer_sort DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_wafer_sort ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_wafer_sort__stage;
TRUNCATE TABLE fab.fact_wafer_sort__stage;
