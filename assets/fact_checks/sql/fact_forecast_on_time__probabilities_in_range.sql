SELECT countIf(NOT (ifNull(p_on_time, 0) BETWEEN 0 AND 1) OR end_p50_ts > end_p90_ts) AS failing,
       count() AS checked
FROM fab.fact_forecast_on_time WHERE day = {day:Date};
