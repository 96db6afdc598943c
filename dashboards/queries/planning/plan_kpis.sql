-- The plan's headline figures: solver status, lots on time and late, makespan, bottleneck.
SELECT status AS "Solver status", lots AS "Lots", on_time_lots AS "On time", late_lots AS "Late",
       makespan_min * 60 AS "Makespan", weighted_tardiness AS "Weighted tardiness",
       gap AS "Optimality gap", bottleneck AS "Bottleneck"
FROM landing.plan_run
WHERE plan_id = '${plan}'
