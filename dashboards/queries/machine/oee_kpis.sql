-- The machine's OEE and factors over the range.
SELECT
    sum(run_min) / nullIf(sum(planned_production_min), 0)      AS "Availability",
    sum(ideal_run_min) / nullIf(sum(run_min), 0)               AS "Performance",
    sum(good) / nullIf(sum(total), 0)                          AS "Quality",
    "Availability" * "Performance" * "Quality"                 AS "OEE"
FROM fab.fact_oee
WHERE grain = 'shift' AND level = 'machine' AND entity_id = '${machine}'
  AND $__timeFilter(window_start)
