-- A sample of the readings of one day that break the given per machine/metric bounds
-- (a NULL bound is no bound; `unknown` marks a machine/metric without limits: every reading
-- fails) or lie after %(latest)s.
WITH bound AS (
    SELECT *
    FROM unnest(%(machine_id)s::text[], %(metric)s::text[], %(low)s::float8[],
                %(high)s::float8[], %(unknown)s::boolean[])
         AS b(machine_id, metric, low, high, unknown)
)
SELECT r.ts, r.machine_id, r.metric, r.value, b.low, b.high
FROM landing.sensor_reading AS r
JOIN bound AS b ON b.machine_id = r.machine_id AND b.metric = r.metric
WHERE r.ts >= %(start)s AND r.ts < %(end)s
  AND (b.unknown OR r.value < b.low OR r.value > b.high OR r.ts > %(latest)s)
ORDER BY r.ts
LIMIT %(limit)s
