-- Readings the day's minute aggregates counted (good and bad quality).
SELECT sum(n + n_bad) AS observed, count() AS checked
FROM fab.fact_sensor_minute WHERE day = {day:Date};
