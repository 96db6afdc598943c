SELECT countIf(NOT isFinite(value) OR NOT (lcl <= center AND center <= ucl)) AS failing,
       count() AS checked
FROM fab.fact_spc_points WHERE day = {day:Date};
