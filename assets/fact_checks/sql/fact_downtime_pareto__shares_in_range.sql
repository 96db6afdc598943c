SELECT countIf(minutes < 0 OR NOT (pct BETWEEN 0 AND 100.000001)
               OR NOT (cum_pct BETWEEN 0 AND 100.000001)) AS failing,
       count() AS checked
FROM fab.fact_downtime_pareto WHERE day = {day:Date};
