-- OEE factors by area (selected machines only), against the plant target.
SELECT
    m.area_name                                                         AS "Area",
    sum(o.run_min) / nullIf(sum(o.planned_production_min), 0)          AS "Availability",
    sum(o.ideal_run_min) / nullIf(sum(o.run_min), 0)                   AS "Performance",
    sum(o.good) / nullIf(sum(o.total), 0)                              AS "Quality",
    "Availability" * "Performance" * "Quality"                         AS "OEE"
FROM fab.fact_oee AS o
INNER JOIN fab.dim_machine AS m ON m.machine_id = o.entity_id
WHERE o.grain = 'shift' AND o.level = 'machine'
  AND o.entity_id IN (${machine:singlequote})
  AND $__timeFilter(o.window_start)
GROUP BY m.area_name
ORDER BY m.area_name
