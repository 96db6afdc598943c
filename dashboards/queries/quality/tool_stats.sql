-- Inspection tools over the range: inspections, wafers, defects and defects per wafer.
SELECT machine_id AS "Inspection tool", sum(inspections) AS "Inspections", sum(wafers) AS "Wafers",
       sum(defects) AS "Defects", sum(defects) / nullIf(sum(wafers), 0) AS "Defects per wafer",
       max(last_inspection) AS "Last inspection"
FROM fab.fact_defect_tool_stats
WHERE machine_id IN (${machine:singlequote}) AND $__dateFilter(day)
GROUP BY machine_id
ORDER BY machine_id
