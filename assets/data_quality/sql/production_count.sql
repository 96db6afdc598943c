SELECT ts, machine_id, lot_id, step_no, good, scrap
FROM landing.production_count
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts, machine_id
