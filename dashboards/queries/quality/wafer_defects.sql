-- Every defect on the wafer: position, size, type and the SEM image of reviewed ones.
SELECT concat(d.inspection_id, '/', toString(d.defect_no)) AS "Defect",
       coalesce(nullIf(t.name, ''), toString(d.defect_type)) AS "Defect type",
       d.x_mm AS "X", d.y_mm AS "Y", d.radius_mm AS "Radius", d.size_um AS "Size",
       coalesce(d.sem_image_ref, '') AS "SEM image"
FROM fab.fact_defect AS d
LEFT JOIN fab.dim_defect_type AS t ON t.defect_type = d.defect_type
WHERE d.wafer_id = '${wafer}'
ORDER BY d.sem_image_ref IS NULL, d.defect_no
LIMIT 500
