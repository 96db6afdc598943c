-- Per type at the end of the range: 7-day rolling mean and the 28-day OLS slope with its p-value.
SELECT
    coalesce(nullIf(any(t.name), ''), toString(d.defect_type))      AS "Defect type",
    argMax(d.defects, d.day)                                         AS "Defects on last day",
    argMax(d.rolling_mean, d.day)                                    AS "7-day mean",
    argMax(d.slope_per_day, d.day)                                   AS "Trend per day",
    argMax(d.p_value, d.day)                                         AS "p-value",
    if(argMax(d.p_value, d.day) < 0.05,
       if(argMax(d.slope_per_day, d.day) > 0, 'rising', 'falling'), 'flat') AS "Trend"
FROM fab.fact_defect_trends AS d
LEFT JOIN fab.dim_defect_type AS t ON t.defect_type = d.defect_type
WHERE $__dateFilter(d.day)
GROUP BY d.defect_type
ORDER BY "Trend per day" DESC
