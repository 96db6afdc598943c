-- Every SPC series of the selected machines: points and violations in the range, latest limits.
SELECT
    p.machine_id                                             AS "Machine",
    p.item                                                   AS "Item",
    if(p.recipe_id = '', '-', toString(p.recipe_id))         AS "Recipe",
    p.chart                                                  AS "Chart",
    count()                                                  AS "Points",
    countIf(v.rule > 0)                                      AS "Violations",
    countIf(v.rule > 0) / count()                            AS "Share out of control",
    argMax(p.center, p.ts)                                   AS "Centre line",
    argMax(p.lcl, p.ts)                                      AS "Lower control limit",
    argMax(p.ucl, p.ts)                                      AS "Upper control limit"
FROM fab.fact_spc_points AS p
LEFT JOIN (
    SELECT DISTINCT machine_id, item, recipe_id, chart, ts, 1 AS rule
    FROM fab.spc_violations
    WHERE machine_id IN (${machine:singlequote}) AND $__timeFilter(ts)
) AS v ON v.machine_id = p.machine_id AND v.item = p.item AND v.recipe_id = p.recipe_id
      AND v.chart = p.chart AND v.ts = p.ts
WHERE p.machine_id IN (${machine:singlequote}) AND $__timeFilter(p.ts)
GROUP BY p.machine_id, p.item, p.recipe_id, p.chart
ORDER BY "Share out of control" DESC
