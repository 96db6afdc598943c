-- Defects of the wafer that were reviewed (SEM image and EDX spectrum), as inspection/defect no.
SELECT concat(inspection_id, '/', toString(defect_no)) AS "Defect"
FROM fab.fact_defect
WHERE wafer_id = '${wafer}' AND sem_image_ref IS NOT NULL
ORDER BY ts DESC, defect_no
