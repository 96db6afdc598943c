-- Monte Carlo fan chart of one area (latest forecast; the panel repeats per area): wafer passes
-- through the area, cumulative by the end of each day of the horizon, P10-P90 around P50.
SELECT toDateTime(horizon_date + 1) AS "Time",
       p10 AS "P10", p25 AS "P25", p50 AS "P50", p75 AS "P75", p90 AS "P90"
FROM fab.fact_forecast_fan
WHERE level = 'area' AND area_id IN (${area:singlequote})
  AND day = (SELECT max(day) FROM fab.fact_forecast_fan)
ORDER BY horizon_day
