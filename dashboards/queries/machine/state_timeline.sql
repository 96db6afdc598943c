-- The machine's states over the range (intervals overlapping it, clipped at its start).
SELECT greatest(start_ts, toDateTime64($__fromTime, 3)) AS "Time",
       toString(machine_id) AS "Machine", toString(state) AS "State"
FROM fab.fact_machine_state
WHERE machine_id = '${machine}'
  AND end_ts >= toDateTime64($__fromTime, 3) AND start_ts <= toDateTime64($__toTime, 3)
ORDER BY start_ts
