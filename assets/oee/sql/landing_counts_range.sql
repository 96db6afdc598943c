-- Track-outs in a time range (exact timestamps: start-up rejects need them).
SELECT ts, machine_id, good, scrap
FROM landing.production_count
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts
