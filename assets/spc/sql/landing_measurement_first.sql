SELECT 'measurement' AS source, machine_id, parameter AS item, recipe_id, min(ts) AS first_ts, max(ts) AS last_ts
FROM landing.process_measurement
WHERE ts < %(end)s
GROUP BY machine_id, parameter, recipe_id
