SELECT countIf(ifNull(gap, 0) < 0 OR ifNull(on_time_lots, 0) + ifNull(late_lots, 0) > lots
               OR solve_time_s < 0) AS failing,
       count() AS checked
FROM fab.fact_plan_run WHERE day = {day:Date};
