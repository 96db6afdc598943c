SELECT countIf(NOT (confidence BETWEEN 0 AND 1)) AS failing, count() AS checked
FROM fab.fact_wafer_signature WHERE day = {day:Date};
