-- Wafers of the lot with inspection results, most SEM-reviewed defects first.
SELECT wafer_id AS "Wafer"
FROM fab.fact_defect
WHERE lot_id = '${lot}'
GROUP BY wafer_id
ORDER BY countIf(sem_image_ref IS NOT NULL) DESC, wafer_id
