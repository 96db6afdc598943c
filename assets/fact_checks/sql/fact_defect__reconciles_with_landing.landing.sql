-- Defects of the inspections made in the plant day's UTC window.
SELECT count(*) FROM landing.defect AS d
JOIN landing.inspection AS i USING (inspection_id)
WHERE i.ts >= %(day_start)s AND i.ts < %(day_end)s;
