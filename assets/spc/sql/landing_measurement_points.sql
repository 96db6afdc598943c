-- One point per lot step and parameter: the mean of the wafers measured.
SELECT 'measurement' AS source, machine_id, parameter AS item, recipe_id,
       min(ts) AS ts, lot_id AS subgroup, count(*)::float8 AS n, avg(value) AS value
FROM landing.process_measurement
WHERE ts >= %(start)s AND ts < %(end)s
GROUP BY machine_id, parameter, recipe_id, lot_id, date_trunc('minute', ts)
ORDER BY ts
