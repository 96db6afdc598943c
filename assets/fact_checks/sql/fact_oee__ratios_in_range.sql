-- Windows with a ratio out of range, run time outside planned time, or (per machine, where
-- the factors are exact) an OEE that is not availability x performance x quality. Above the
-- machine, OEE is recomputed from summed fully productive time, so the product only nears it.
SELECT countIf(
           NOT (availability BETWEEN 0 AND 1) OR NOT (quality BETWEEN 0 AND 1)
           OR NOT isFinite(performance) OR performance < 0 OR NOT isFinite(oee) OR oee < 0
           OR (level = 'machine' AND abs(oee - availability * performance * quality) > 1e-9)
           OR run_min > planned_production_min + 1e-9 OR run_min < 0
       ) AS failing,
       count() AS checked
FROM fab.fact_oee WHERE day = {day:Date};
