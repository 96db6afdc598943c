-- Defects by type over the range, largest first, with the cumulative share (Pareto).
SELECT
    coalesce(nullIf(t.name, ''), p.key)                             AS "Defect type",
    sum(p.defects)                                                   AS "Defects",
    sum(sum(p.defects)) OVER (ORDER BY sum(p.defects) DESC
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      / sum(sum(p.defects)) OVER ()                                  AS "Cumulative share"
FROM fab.fact_defect_pareto AS p
LEFT JOIN fab.dim_defect_type AS t ON t.defect_type = p.key
WHERE p.dimension = 'defect_type' AND $__dateFilter(p.day)
GROUP BY p.key, t.name
ORDER BY "Defects" DESC
