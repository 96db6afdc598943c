-- Share of simulations in which each machine limits the line (the Monte Carlo bottleneck).
SELECT key AS "Machine", bottleneck_share AS "Bottleneck share", p50 AS "Output P50"
FROM fab.fact_forecast_capacity
WHERE level = 'machine' AND key IN (${machine:singlequote})
  AND day = (SELECT max(day) FROM fab.fact_forecast_capacity)
ORDER BY "Bottleneck share" DESC, "Machine"
