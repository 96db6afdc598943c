-- Good and scrap counts of plant-local day {day:Date} per machine and UTC hour.
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_production_hourly__stage;
INSERT INTO fab.fact_production_hourly__stage
WITH
    (SELECT groupArray((start_utc, end_utc, shift_date, toString(shift_code)))
     FROM fab.dim_shift
     WHERE start_utc < {day_end:DateTime64(6, 'UTC')} AND end_utc > {day_start:DateTime64(6, 'UTC')}) AS shifts
SELECT day, hour, machine_id, shift_date, shift_code, good, scrap, total, events,
       ideal_cycle_time_s, ideal_time_s
FROM (
SELECT {day:Date} AS day, c.hour AS hour, c.machine_id AS machine_id,
       arrayFirst(s -> s.1 <= toDateTime64(c.hour, 3, 'UTC')
                       AND toDateTime64(c.hour, 3, 'UTC') < s.2, shifts) AS shift,
       if(shift.4 = '', {day:Date}, shift.3) AS shift_date,
       shift.4 AS shift_code,
       c.good AS good, c.scrap AS scrap, c.good + c.scrap AS total, c.events AS events,
       ifNull(m.ideal_cycle_time_s, 0) AS ideal_cycle_time_s,
       ideal_cycle_time_s * total AS ideal_time_s
FROM (
    SELECT toStartOfHour(ts) AS hour, machine_id,
           sum(toUInt64(good)) AS good, sum(toUInt64(scrap)) AS scrap, count() AS events
    FROM postgresql({pg_host:String}, {pg_db:String}, 'production_count', {pg_user:String}, {pg_password:String}, 'landing')
    WHERE ts >= {day_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
    GROUP BY hour, machine_id
) AS c
LEFT JOIN fab.dim_machine AS m ON m.machine_id = c.machine_id
)
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_production_hourly DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_production_hourly ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_production_hourly__stage;
TRUNCATE TABLE fab.fact_production_hourly__stage;
