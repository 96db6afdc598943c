-- Safety interlocks fired in the time range: the rule, the reading that tripped it and the action.
SELECT i.ts AS "Time", i.machine_id AS "Machine", i.rule_id AS "Rule", i.metric AS "Metric",
       i.value AS "Reading", i.threshold AS "Threshold", i.action AS "Action"
FROM landing.interlock_event AS i
WHERE $__timeFilter(i.ts) AND i.machine_id IN (${machine:singlequote})
ORDER BY i.ts DESC
LIMIT 200
