-- Wafer-map drill-down: every defect found on one wafer, with its inspection, position, size,
-- class, SEM image reference and EDX spectrum (the spectrum lives only in the landing zone).
SELECT d.ts, d.inspection_id, i.machine_id, i.step_no, d.defect_no, d.x_mm, d.y_mm, d.size_um,
       d.defect_type, d.sem_image_ref, d.edx_spectrum::text AS edx_spectrum
FROM landing.defect d
JOIN landing.inspection i ON i.inspection_id = d.inspection_id AND i.ts = d.ts
WHERE d.wafer_id = %(wafer_id)s
ORDER BY d.ts, d.defect_no
