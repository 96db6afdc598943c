SELECT countIf(NOT (poisson_yield BETWEEN 0 AND 1) OR d0_per_cm2 < 0) AS failing,
       count() AS checked
FROM fab.fact_defect_yield WHERE day = {day:Date};
