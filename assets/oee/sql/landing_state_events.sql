-- State events in [start, end) plus each machine's last event before start (the state it was in).
SELECT ts, machine_id, state, reason_code
FROM landing.machine_state
WHERE ts >= %(start)s AND ts < %(end)s
UNION ALL
SELECT DISTINCT ON (machine_id) ts, machine_id, state, reason_code
FROM landing.machine_state
WHERE ts < %(start)s AND ts >= %(start)s - interval '7 days'
ORDER BY machine_id, ts DESC
