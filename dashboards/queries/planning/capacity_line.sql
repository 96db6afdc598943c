-- The line's forecast output over the horizon (P10, P50, P90 wafers) and its bottleneck area.
SELECT l.p10 AS "P10", l.p50 AS "P50", l.p90 AS "P90", l.horizon_days AS "Horizon",
       b.key AS "Bottleneck area"
FROM fab.fact_forecast_capacity AS l
CROSS JOIN (
    SELECT argMax(key, bottleneck_share) AS key
    FROM fab.fact_forecast_capacity
    WHERE level = 'area' AND day = (SELECT max(day) FROM fab.fact_forecast_capacity)
) AS b
WHERE l.level = 'line' AND l.day = (SELECT max(day) FROM fab.fact_forecast_capacity)
