SELECT countIf(failures < 0 OR breakdown_min < 0 OR run_min < 0
               OR ifNull(mtbf_h, 0) < 0 OR ifNull(mttr_h, 0) < 0) AS failing,
       count() AS checked
FROM fab.fact_mtbf_mttr WHERE day = {day:Date};
