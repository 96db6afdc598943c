-- State events in the time range, plus each machine's state carried in from before the range.
SELECT ts AS "Time", machine_id AS "Machine", state AS "State"
FROM (
    SELECT DISTINCT ON (machine_id) $__timeFrom()::timestamptz AS ts, machine_id, state
    FROM landing.machine_state
    WHERE ts <= $__timeFrom()
      AND ts > $__timeFrom()::timestamptz - interval '30 days'
      AND machine_id IN (${machine:singlequote})
    ORDER BY machine_id, ts DESC
) AS carried
UNION ALL
SELECT ts, machine_id, state
FROM landing.machine_state
WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})
ORDER BY 1, 2
