-- One point per inspected wafer: its defect count (Laney u' chart per inspection tool).
SELECT 'defects' AS source, toString(machine_id) AS machine_id, 'defects_per_wafer' AS item,
       '' AS recipe_id, ts, inspection_id AS subgroup, 1.0 AS n, toFloat64(defect_count) AS value
FROM fab.fact_inspection
WHERE day >= {first_day:Date} AND day <= {last_day:Date}
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
ORDER BY ts, inspection_id;
