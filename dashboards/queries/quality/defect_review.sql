-- The reviewed defect: where it sits, its size and type, and its SEM image reference.
SELECT d.inspection_id || '/' || d.defect_no AS "Defect", d.wafer_id AS "Wafer",
       t.name AS "Defect type", d.x_mm AS "X", d.y_mm AS "Y", d.size_um AS "Size",
       d.sem_image_ref AS "SEM image", d.ts AS "Inspected"
FROM landing.defect AS d
LEFT JOIN landing.defect_type AS t ON t.defect_type = d.defect_type
WHERE d.inspection_id = split_part('${defect}', '/', 1)
  AND d.defect_no = split_part('${defect}', '/', 2)::int
