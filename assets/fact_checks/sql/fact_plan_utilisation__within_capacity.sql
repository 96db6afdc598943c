SELECT countIf(NOT (utilisation BETWEEN 0 AND 1.000001)) AS failing, count() AS checked
FROM fab.fact_plan_utilisation WHERE day = {day:Date};
