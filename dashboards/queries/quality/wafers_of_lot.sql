-- The lot's wafers: defects, signature and yield estimate. Click a wafer for its map.
SELECT y.wafer_id AS "Wafer", any(w.slot) AS "Slot", sum(y.defects) AS "Defects",
       any(toString(s.signature)) AS "Signature", avg(y.poisson_yield) AS "Estimated yield"
FROM fab.fact_defect_yield AS y
LEFT JOIN fab.dim_wafer AS w ON w.wafer_id = y.wafer_id
LEFT JOIN fab.fact_wafer_signature AS s ON s.inspection_id = y.inspection_id
WHERE y.level = 'wafer' AND y.lot_id = '${lot}'
GROUP BY y.wafer_id
ORDER BY "Slot"
