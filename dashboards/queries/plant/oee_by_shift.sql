-- OEE factors by shift code (A, B, C) over the range: are some shifts systematically worse?
SELECT
    concat('Shift ', toString(o.shift_code))                           AS "Shift",
    sum(o.run_min) / nullIf(sum(o.planned_production_min), 0)          AS "Availability",
    sum(o.ideal_run_min) / nullIf(sum(o.run_min), 0)                   AS "Performance",
    sum(o.good) / nullIf(sum(o.total), 0)                              AS "Quality",
    "Availability" * "Performance" * "Quality"                         AS "OEE"
FROM fab.fact_oee AS o
WHERE o.grain = 'shift' AND o.level = 'machine'
  AND o.entity_id IN (${machine:singlequote})
  AND $__timeFilter(o.window_start)
GROUP BY o.shift_code
ORDER BY o.shift_code
