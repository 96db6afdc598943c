-- Each selected machine's state as of the end of the time range (the last state event before it).
SELECT DISTINCT ON (s.machine_id)
    s.machine_id                                        AS "Machine",
    m.area_id                                           AS "Area",
    s.state                                             AS "State",
    coalesce(r.description, s.reason_code)              AS "Reason",
    s.ts                                                AS "Since",
    extract(epoch FROM ($__timeTo()::timestamptz - s.ts)) AS "In state for"
FROM landing.machine_state AS s
JOIN landing.machine AS m ON m.machine_id = s.machine_id
LEFT JOIN landing.state_reason AS r ON r.reason_code = s.reason_code
WHERE s.ts <= $__timeTo()
  AND s.ts > $__timeTo()::timestamptz - interval '30 days'
  AND s.machine_id IN (${machine:singlequote})
ORDER BY s.machine_id, s.ts DESC
