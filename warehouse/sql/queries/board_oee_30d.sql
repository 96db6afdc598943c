-- A plant board over 30 days, all machines: time per loss category and output per machine and
-- day (what an OEE overview board asks the facts for).
SELECT s.day AS day, s.machine_id AS machine_id,
       sumIf(s.duration_s, s.loss_category IN ('run', 'small_stop')) AS run_s,
       sumIf(s.duration_s, s.loss_category NOT IN ('planned_stop', 'not_scheduled')) AS planned_s,
       sumIf(s.duration_s, s.loss_category = 'breakdown') AS breakdown_s,
       any(p.good) AS good, any(p.total) AS total, any(p.ideal_time_s) AS ideal_time_s,
       any(q.mean_temperature) AS mean_temperature
FROM fab.fact_machine_state AS s
LEFT JOIN (
    SELECT day, machine_id, sum(good) AS good, sum(total) AS total, sum(ideal_time_s) AS ideal_time_s
    FROM fab.fact_production_hourly
    WHERE day >= {first:Date} AND day <= {last:Date}
    GROUP BY day, machine_id
) AS p ON p.day = s.day AND p.machine_id = s.machine_id
LEFT JOIN (
    SELECT day, machine_id, sum(mean_value * n) / sum(n) AS mean_temperature
    FROM fab.fact_sensor_minute
    WHERE day >= {first:Date} AND day <= {last:Date} AND metric = 'temperature' AND n > 0
    GROUP BY day, machine_id
) AS q ON q.day = s.day AND q.machine_id = s.machine_id
WHERE s.day >= {first:Date} AND s.day <= {last:Date}
GROUP BY s.day, s.machine_id
ORDER BY s.day, s.machine_id;
