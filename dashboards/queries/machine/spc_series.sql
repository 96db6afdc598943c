-- The machine's SPC series: points and rule violations in the range, latest limits.
SELECT
    p.item                                                   AS "Item",
    if(p.recipe_id = '', '-', toString(p.recipe_id))         AS "Recipe",
    p.chart                                                  AS "Chart",
    count()                                                  AS "Points",
    countIf(v.rules > 0)                                     AS "Points with violations",
    argMax(p.center, p.ts)                                   AS "Centre line",
    argMax(p.lcl, p.ts)                                      AS "Lower control limit",
    argMax(p.ucl, p.ts)                                      AS "Upper control limit"
FROM fab.fact_spc_points AS p
LEFT JOIN (
    SELECT item, recipe_id, chart, ts, count() AS rules
    FROM fab.spc_violations
    WHERE machine_id = '${machine}' AND $__timeFilter(ts)
    GROUP BY item, recipe_id, chart, ts
) AS v ON v.item = p.item AND v.recipe_id = p.recipe_id AND v.chart = p.chart AND v.ts = p.ts
WHERE p.machine_id = '${machine}' AND $__timeFilter(p.ts)
GROUP BY p.item, p.recipe_id, p.chart
ORDER BY "Item", "Recipe", "Chart"
