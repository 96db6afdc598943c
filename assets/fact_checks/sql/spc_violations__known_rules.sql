SELECT countIf(rule < 1 OR rule > 8) AS failing, count() AS checked
FROM fab.spc_violations WHERE day = {day:Date};
