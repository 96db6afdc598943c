-- Defects found on plant-local day {day:Date}, with the lot and tool of their inspection.
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_defect__stage;
INSERT INTO fab.fact_defect__stage
SELECT {day:Date} AS day, toDateTime64(d.ts, 3, 'UTC') AS ts, d.inspection_id, d.defect_no,
       d.wafer_id, ifNull(i.lot_id, '') AS lot_id, ifNull(i.machine_id, '') AS machine_id,
       d.defect_type, d.x_mm, d.y_mm, sqrt(d.x_mm * d.x_mm + d.y_mm * d.y_mm) AS radius_mm,
       d.size_um, d.sem_image_ref
FROM (
    SELECT * FROM postgresql({pg_host:String}, {pg_db:String}, 'defect', {pg_user:String}, {pg_password:String}, 'landing')
    WHERE ts >= {day_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
) AS d
LEFT JOIN (
    SELECT inspection_id, any(lot_id) AS lot_id, any(machine_id) AS machine_id
    FROM postgresql({pg_host:String}, {pg_db:String}, 'inspection', {pg_user:String}, {pg_password:String}, 'landing')
    WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
    GROUP BY inspection_id
) AS i ON i.inspection_id = d.inspection_id
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_defect DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_defect ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_defect__stage;
TRUNCATE TABLE fab.fact_defect__stage;
