SELECT countIf(defects < 0 OR NOT (pct BETWEEN 0 AND 100.000001)
               OR NOT (cum_pct BETWEEN 0 AND 100.000001)) AS failing,
       count() AS checked
FROM fab.fact_defect_pareto WHERE day = {day:Date};
