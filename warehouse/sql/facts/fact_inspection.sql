-- Wafer inspections of plant-local day {day:Date}.
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_inspection__stage;
INSERT INTO fab.fact_inspection__stage
SELECT {day:Date} AS day, toDateTime64(i.ts, 3, 'UTC') AS ts, i.inspection_id, i.machine_id,
       i.lot_id, i.wafer_id, ifNull(l.product_id, '') AS product_id, i.step_no, i.defect_count
FROM postgresql({pg_host:String}, {pg_db:String}, 'inspection', {pg_user:String}, {pg_password:String}, 'landing') AS i
LEFT JOIN fab.dim_lot AS l ON l.lot_id = i.lot_id
WHERE i.ts >= {day_start:DateTime64(6, 'UTC')} AND i.ts < {day_end:DateTime64(6, 'UTC')}
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_inspection DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_inspection ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_inspection__stage;
TRUNCATE TABLE fab.fact_inspection__stage;
