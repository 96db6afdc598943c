SELECT countIf(NOT isFinite(score) OR is_anomaly > 1 OR window_end < window_start) AS failing,
       count() AS checked
FROM fab.fact_anomaly WHERE day = {day:Date};
