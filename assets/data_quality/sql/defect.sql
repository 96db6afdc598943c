SELECT ts, inspection_id, defect_no, wafer_id, x_mm, y_mm, size_um, defect_type
FROM landing.defect
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts, inspection_id, defect_no
