-- How many selected machines are in each state at the end of the time range.
WITH latest AS (
    SELECT DISTINCT ON (machine_id) machine_id, state
    FROM landing.machine_state
    WHERE ts <= $__timeTo()
      AND ts > $__timeTo()::timestamptz - interval '30 days'
      AND machine_id IN (${machine:singlequote})
    ORDER BY machine_id, ts DESC
)
SELECT s.state AS "State", count(l.machine_id) AS "Machines"
FROM (VALUES ('RUNNING'), ('IDLE'), ('SETUP'), ('DOWN'), ('MAINTENANCE'), ('OFFLINE')) AS s(state)
LEFT JOIN latest AS l ON l.state = s.state
GROUP BY s.state
ORDER BY s.state
