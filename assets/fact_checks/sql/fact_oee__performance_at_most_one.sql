SELECT countIf(performance > 1) AS failing, count() AS checked, max(performance) AS observed
FROM fab.fact_oee WHERE day = {day:Date};
