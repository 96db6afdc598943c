-- Defects per day and type.
SELECT toDateTime(d.day) AS "Time", coalesce(nullIf(t.name, ''), toString(d.defect_type)) AS "Type",
       d.defects AS "Defects"
FROM fab.fact_defect_trends AS d
LEFT JOIN fab.dim_defect_type AS t ON t.defect_type = d.defect_type
WHERE $__dateFilter(d.day)
ORDER BY d.day
