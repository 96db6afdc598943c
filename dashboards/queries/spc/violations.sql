-- The newest violations of the selected series, with the rule and how far out the point was.
SELECT ts AS "Time", toString(chart) AS "Chart", rule AS "Rule", rule_text AS "Rule text",
       value AS "Value", z AS "Sigma from centre", toString(phase) AS "Phase", version AS "Limits version"
FROM fab.spc_violations
WHERE machine_id = '${machine}' AND item = '${item}'
  AND recipe_id = if('${recipe}' = '-', '', '${recipe}')
  AND $__timeFilter(ts)
ORDER BY ts DESC
LIMIT 200
