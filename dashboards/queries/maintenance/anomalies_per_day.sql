-- Anomalous hourly sensor windows per machine and day (Isolation Forest, contamination 0.05).
SELECT toDateTime(day) AS "Time", toString(machine_id) AS "Machine", sum(is_anomaly) AS "Anomalous hours"
FROM fab.fact_anomaly
WHERE machine_id IN (${machine:singlequote}) AND $__timeFilter(window_start)
GROUP BY day, machine_id
ORDER BY day
