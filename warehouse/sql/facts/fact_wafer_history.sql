-- The digital thread for plant-local day {day:Date}: every wafer x route step whose track-out
-- falls in the day, paired with its track-in (ASOF: the latest track-in at or before it).
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_wafer_history__stage;
INSERT INTO fab.fact_wafer_history__stage
WITH
    moves AS (
        SELECT lot_id, step_no, machine_id, recipe_id, event, wafers,
               toDateTime64(ts, 3, 'UTC') AS ts
        FROM postgresql({pg_host:String}, {pg_db:String}, 'lot_move', {pg_user:String}, {pg_password:String}, 'landing')
        WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
    ),
    steps AS (
        SELECT o.lot_id AS lot_id, o.step_no AS step_no, o.machine_id AS machine_id,
               o.recipe_id AS recipe_id, o.wafers AS lot_wafers,
               if(i.ts = toDateTime64(0, 3, 'UTC'), o.ts, i.ts) AS track_in_ts,
               o.ts AS track_out_ts
        FROM (SELECT * FROM moves WHERE event = 'track_out' AND ts >= {day_start:DateTime64(6, 'UTC')}) AS o
        ASOF LEFT JOIN (SELECT * FROM moves WHERE event = 'track_in') AS i
            ON i.lot_id = o.lot_id AND i.step_no = o.step_no AND o.ts >= i.ts
    ),
    sensors AS (
        SELECT s.lot_id AS lot_id, s.step_no AS step_no, m.metric AS metric,
               toFloat64(sum(toDecimal256(m.mean_value, 12) * m.n)) / sum(m.n) AS mean_value,
               min(m.min_value) AS min_value, max(m.max_value) AS max_value,
               sum(m.n) AS n
        FROM steps AS s
        JOIN (
            SELECT machine_id, metric, minute, n, mean_value, min_value, max_value
            FROM fab.fact_sensor_minute
            WHERE minute >= toStartOfMinute({lookback_start:DateTime64(6, 'UTC')}) AND minute < {day_end:DateTime64(6, 'UTC')}
              AND n > 0
        ) AS m ON m.machine_id = s.machine_id
        WHERE m.minute >= toStartOfMinute(s.track_in_ts) AND m.minute < s.track_out_ts
        GROUP BY s.lot_id, s.step_no, m.metric
    ),
    sensor_maps AS (
        -- keys sorted so a rebuild gives identical maps whatever the thread order
        SELECT lot_id, step_no,
               arraySort(groupArray((metric, mean_value, min_value, max_value))) AS sv,
               mapFromArrays(arrayMap(x -> x.1, sv), arrayMap(x -> x.2, sv)) AS sensor_mean,
               mapFromArrays(arrayMap(x -> x.1, sv), arrayMap(x -> x.3, sv)) AS sensor_min,
               mapFromArrays(arrayMap(x -> x.1, sv), arrayMap(x -> x.4, sv)) AS sensor_max,
               sum(n) AS sensor_n
        FROM sensors GROUP BY lot_id, step_no
    ),
    measured AS (
        SELECT s.lot_id AS lot_id, s.step_no AS step_no, pm.wafer_id AS wafer_id,
               arraySort(groupArray((pm.parameter, pm.value))) AS pv,
               mapFromArrays(arrayMap(x -> x.1, pv), arrayMap(x -> x.2, pv)) AS measurements
        FROM steps AS s
        JOIN (
            SELECT machine_id, wafer_id, parameter, value, toDateTime64(ts, 3, 'UTC') AS ts
            FROM postgresql({pg_host:String}, {pg_db:String}, 'process_measurement', {pg_user:String}, {pg_password:String}, 'landing')
            WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
        ) AS pm ON pm.machine_id = s.machine_id
        WHERE pm.ts >= s.track_in_ts AND pm.ts <= s.track_out_ts
        GROUP BY s.lot_id, s.step_no, pm.wafer_id
    ),
    inspected AS (
        SELECT s.lot_id AS lot_id, s.step_no AS step_no, ins.wafer_id AS wafer_id,
               count() AS inspections, sum(ins.defect_count) AS defect_count,
               groupArray(ins.inspection_id) AS inspection_ids
        FROM steps AS s
        JOIN (
            SELECT machine_id, wafer_id, inspection_id, defect_count,
                   toDateTime64(ts, 3, 'UTC') AS ts
            FROM postgresql({pg_host:String}, {pg_db:String}, 'inspection', {pg_user:String}, {pg_password:String}, 'landing')
            WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
        ) AS ins ON ins.machine_id = s.machine_id
        WHERE ins.ts >= s.track_in_ts AND ins.ts <= s.track_out_ts
        GROUP BY s.lot_id, s.step_no, ins.wafer_id
    ),
    defect_kinds AS (
        SELECT wafer_id, inspection_id, defect_type, count() AS n
        FROM postgresql({pg_host:String}, {pg_db:String}, 'defect', {pg_user:String}, {pg_password:String}, 'landing')
        WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
        GROUP BY wafer_id, inspection_id, defect_type
    ),
    wafer_defects AS (
        SELECT x.lot_id AS lot_id, x.step_no AS step_no, x.wafer_id AS wafer_id,
               sumMap(map(k.defect_type, toUInt32(k.n))) AS defect_types
        FROM (SELECT lot_id, step_no, wafer_id, arrayJoin(inspection_ids) AS inspection_id
              FROM inspected) AS x
        JOIN defect_kinds AS k ON k.wafer_id = x.wafer_id AND k.inspection_id = x.inspection_id
        GROUP BY x.lot_id, x.step_no, x.wafer_id
    )
SELECT {day:Date} AS day, w.wafer_id, s.lot_id, w.slot, w.product_id, s.step_no, s.machine_id,
       s.recipe_id, s.track_in_ts, s.track_out_ts,
       dateDiff('millisecond', s.track_in_ts, s.track_out_ts) / 1000.0 AS duration_s,
       s.lot_wafers,
       sm.sensor_mean, sm.sensor_min, sm.sensor_max, sm.sensor_n,
       me.measurements,
       ins.inspections, ins.defect_count,
       wd.defect_types
FROM steps AS s
JOIN fab.dim_wafer AS w ON w.lot_id = s.lot_id
LEFT JOIN sensor_maps AS sm ON sm.lot_id = s.lot_id AND sm.step_no = s.step_no
LEFT JOIN measured AS me
    ON me.lot_id = s.lot_id AND me.step_no = s.step_no AND me.wafer_id = w.wafer_id
LEFT JOIN inspected AS ins
    ON ins.lot_id = s.lot_id AND ins.step_no = s.step_no AND ins.wafer_id = w.wafer_id
LEFT JOIN wafer_defects AS wd
    ON wd.lot_id = s.lot_id AND wd.step_no = s.step_no AND wd.wafer_id = w.wafer_id;
ALTER TABLE fab.fact_wafer_history DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_wafer_history ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_wafer_history__stage;
TRUNCATE TABLE fab.fact_wafer_history__stage;
