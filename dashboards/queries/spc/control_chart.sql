-- One control chart: the plotted statistic with the centre line and the limits in force at each
-- point; "Rule violation" repeats the value where a Western Electric / Nelson rule was broken
-- (drawn as a red marker), empty elsewhere.
SELECT
    p.ts                                                  AS "Time",
    p.value                                               AS "${chart}",
    p.center                                              AS "Centre line",
    p.lcl                                                 AS "Lower control limit",
    p.ucl                                                 AS "Upper control limit",
    if(v.rules > 0, p.value, NULL)                        AS "Rule violation"
FROM fab.fact_spc_points AS p
LEFT JOIN (
    SELECT ts, count() AS rules
    FROM fab.spc_violations
    WHERE machine_id = '${machine}' AND item = '${item}'
      AND recipe_id = if('${recipe}' = '-', '', '${recipe}')
      AND chart = '${chart}' AND $__timeFilter(ts)
    GROUP BY ts
) AS v ON v.ts = p.ts
WHERE p.machine_id = '${machine}' AND p.item = '${item}'
  AND p.recipe_id = if('${recipe}' = '-', '', '${recipe}')
  AND p.chart = '${chart}'
  AND $__timeFilter(p.ts)
ORDER BY p.ts
