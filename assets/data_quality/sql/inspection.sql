SELECT ts, inspection_id, machine_id, lot_id, wafer_id, step_no, defect_count
FROM landing.inspection
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts, inspection_id
