SELECT 'defects' AS source, toString(machine_id) AS machine_id, 'defects_per_wafer' AS item,
       '' AS recipe_id, min(ts) AS first_ts, max(ts) AS last_ts
FROM fab.fact_inspection
WHERE day <= {last_day:Date}
GROUP BY machine_id;
