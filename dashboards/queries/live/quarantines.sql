-- Lots put on hold in the time range and why.
SELECT q.ts AS "Time", q.lot_id AS "Lot", q.machine_id AS "Machine", q.reason AS "Reason"
FROM landing.quarantine_log AS q
WHERE $__timeFilter(q.ts) AND q.machine_id IN (${machine:singlequote})
ORDER BY q.ts DESC
LIMIT 200
