-- Monte Carlo output over the forecast horizon per area (latest forecast): the P10-P90 band
-- around the P50, from 10,000 seeded simulations.
SELECT key AS "Area", p10 AS "P10", p50 AS "P50", p90 AS "P90"
FROM fab.fact_forecast_capacity
WHERE level = 'area' AND key IN (${area:singlequote})
  AND day = (SELECT max(day) FROM fab.fact_forecast_capacity)
ORDER BY key
