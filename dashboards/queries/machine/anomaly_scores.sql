-- Isolation Forest anomaly score per hourly sensor window; "Anomaly" marks flagged windows.
SELECT window_start                         AS "Time",
       score                                AS "Anomaly score",
       if(is_anomaly = 1, score, NULL)      AS "Anomaly"
FROM fab.fact_anomaly
WHERE machine_id = '${machine}' AND $__timeFilter(window_start)
ORDER BY window_start
