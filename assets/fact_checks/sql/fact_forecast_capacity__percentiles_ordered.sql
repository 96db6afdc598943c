SELECT countIf(NOT (p5 <= p10 AND p10 <= p50 AND p50 <= p90 AND p90 <= p95 AND p95 <= p99)) AS failing,
       count() AS checked
FROM fab.fact_forecast_capacity WHERE day = {day:Date};
