SELECT ts, machine_id, good, scrap
FROM landing.production_count
WHERE ts >= %(start)s AND ts < %(end)s
