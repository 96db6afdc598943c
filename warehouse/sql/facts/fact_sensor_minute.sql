-- Sensor readings of plant-local day {day:Date} per machine, metric and minute.
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_sensor_minute__stage;
INSERT INTO fab.fact_sensor_minute__stage
WITH quality = 0 AND isFinite(value) AS good,
     toDecimal256(if(isFinite(value), value, 0), 9) AS v
SELECT {day:Date} AS day,
       toStartOfMinute(ts) AS minute,
       machine_id, metric,
       countIf(good) AS n,
       countIf(NOT good) AS n_bad,
       minIf(value, good) AS min_value,
       maxIf(value, good) AS max_value,
       -- exact Decimal sums (order-independent), so a rebuild gives bit-identical floats
       toFloat64(sumIf(v, good)) / n AS mean_value,
       sqrt(greatest(toFloat64(n * sumIf(v * v, good)
                               - sumIf(v, good) * sumIf(v, good)) / (n * n), 0))
           AS stddev_value
FROM postgresql({pg_host:String}, {pg_db:String}, 'sensor_reading', {pg_user:String}, {pg_password:String}, 'landing')
WHERE ts >= {day_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
GROUP BY minute, machine_id, metric;
ALTER TABLE fab.fact_sensor_minute DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_sensor_minute ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_sensor_minute__stage;
TRUNCATE TABLE fab.fact_sensor_minute__stage;
