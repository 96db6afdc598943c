SELECT ts, machine_id, state, reason_code
FROM landing.machine_state
WHERE ts >= %(start)s AND ts < %(end)s
ORDER BY ts, machine_id
