-- Defect coordinates of the wafer (mm from the centre), one series per defect type.
SELECT d.x_mm AS "X", d.y_mm AS "Y", coalesce(nullIf(t.name, ''), toString(d.defect_type)) AS "Type"
FROM fab.fact_defect AS d
LEFT JOIN fab.dim_defect_type AS t ON t.defect_type = d.defect_type
WHERE d.wafer_id = '${wafer}'
ORDER BY "Type"
