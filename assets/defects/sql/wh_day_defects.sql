SELECT d.ts AS ts, d.inspection_id AS inspection_id, toString(d.defect_type) AS defect_type,
       toString(d.machine_id) AS machine_id, toString(ifNull(i.step_no, -1)) AS step_no,
       d.x_mm AS x_mm, d.y_mm AS y_mm
FROM fab.fact_defect AS d
LEFT JOIN (SELECT inspection_id, any(step_no) AS step_no FROM fab.fact_inspection
           WHERE day = {day:Date} GROUP BY inspection_id) AS i
  ON i.inspection_id = d.inspection_id
WHERE d.day = {day:Date}
SETTINGS join_use_nulls = 1;
