-- Natural process spread of the selected series: centre, within-subgroup sigma of the frozen
-- limits, overall sigma of the points in the range, and the recipe setpoint where one exists.
-- (Cp/Cpk need specification limits, which the plant data does not carry.)
SELECT
    argMax(l.center, l.version)                              AS "Centre line",
    argMax(l.sigma, l.version)                               AS "Sigma within",
    stddevSamp(p.value)                                      AS "Sigma overall",
    6 * argMax(l.sigma, l.version)                           AS "Natural tolerance (6 sigma)",
    stddevSamp(p.value) / nullIf(argMax(l.sigma, l.version), 0) AS "Overall / within sigma",
    any(JSONExtract(r.setpoints, '${item}', 'Nullable(Float64)')) AS "Recipe setpoint"
FROM fab.fact_spc_points AS p
INNER JOIN fab.spc_limits AS l
        ON l.machine_id = p.machine_id AND l.item = p.item AND l.recipe_id = p.recipe_id
       AND l.chart = p.chart
LEFT JOIN fab.dim_recipe AS r ON r.recipe_id = p.recipe_id
WHERE p.machine_id = '${machine}' AND p.item = '${item}'
  AND p.recipe_id = if('${recipe}' = '-', '', '${recipe}')
  AND p.chart NOT IN ('MR', 'R', 'S')
  AND $__timeFilter(p.ts)
