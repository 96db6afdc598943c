SELECT countIf(NOT (p10 <= p25 AND p25 <= p50 AND p50 <= p75 AND p75 <= p90)) AS failing,
       count() AS checked
FROM fab.fact_forecast_fan WHERE day = {day:Date};
