-- OEE and its three factors over the selected machines and shifts, from additive minutes
-- (never an average of ratios): A = run / planned, P = ideal run / run, Q = good / total.
SELECT
    sum(run_min) / nullIf(sum(planned_production_min), 0)                      AS "Availability",
    sum(ideal_run_min) / nullIf(sum(run_min), 0)                               AS "Performance",
    sum(good) / nullIf(sum(total), 0)                                          AS "Quality",
    "Availability" * "Performance" * "Quality"                                 AS "OEE"
FROM fab.fact_oee
WHERE grain = 'shift' AND level = 'machine'
  AND entity_id IN (${machine:singlequote})
  AND $__timeFilter(window_start)
