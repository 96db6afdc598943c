-- The operating limits of every machine and metric.
SELECT machine_id, metric, setpoint, min_value, max_value
FROM landing.machine_metric_limit
ORDER BY machine_id, metric
