-- Rule violations by rule over the selected machines (every series) in the range.
SELECT concat('Rule ', toString(rule), ': ', any(rule_text)) AS "Rule", count() AS "Violations"
FROM fab.spc_violations
WHERE machine_id IN (${machine:singlequote}) AND $__timeFilter(ts)
GROUP BY rule
ORDER BY rule
