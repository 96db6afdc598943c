-- Complete machine shifts whose OEE is below the target (fraction) for the alert sensor.
SELECT toString(entity_id) AS machine_id, shift_date, toString(shift_code) AS shift_code,
       window_end, oee, availability, performance, quality
FROM fab.fact_oee
WHERE day >= {first_day:Date} AND grain = 'shift' AND level = 'machine' AND complete = 1
  AND planned_production_min > 0 AND oee < {target:Float64}
ORDER BY window_end;
