-- Monte Carlo fan chart of the line (latest forecast): wafers finishing their route, cumulative
-- by the end of each day of the horizon, as P10-P90 and P25-P75 bands around the P50.
SELECT toDateTime(horizon_date + 1) AS "Time",
       p10 AS "P10", p25 AS "P25", p50 AS "P50", p75 AS "P75", p90 AS "P90"
FROM fab.fact_forecast_fan
WHERE level = 'line' AND day = (SELECT max(day) FROM fab.fact_forecast_fan)
ORDER BY horizon_day
