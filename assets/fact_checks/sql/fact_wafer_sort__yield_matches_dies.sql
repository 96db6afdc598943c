-- Each sorted wafer's yield is its passing share of dies, and it never fails more than it has.
SELECT countIf(failed_dies > dies OR dies = 0
               OR abs(die_yield - (dies - failed_dies) / dies) > 1e-9) AS failing,
       count() AS checked
FROM fab.fact_wafer_sort WHERE day = {day:Date};
