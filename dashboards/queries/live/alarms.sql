-- Alarms raised in the time range, newest first.
SELECT a.ts AS "Time", a.machine_id AS "Machine", a.alarm_code AS "Alarm",
       a.severity AS "Severity", a.message AS "Message"
FROM landing.alarm AS a
WHERE $__timeFilter(a.ts) AND a.machine_id IN (${machine:singlequote})
ORDER BY a.ts DESC
LIMIT 200
