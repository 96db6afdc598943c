-- Readings of one day summarised per machine and metric: how many, their extremes and the
-- newest instant. Enough to decide every range/known/future rule exactly without moving the
-- raw rows (tens of millions a day) out of PostgreSQL.
SELECT machine_id,
       metric,
       count(*)    AS readings,
       min(value)  AS min_value,
       max(value)  AS max_value,
       max(ts)     AS last_ts
FROM landing.sensor_reading
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY machine_id, metric
ORDER BY machine_id, metric
