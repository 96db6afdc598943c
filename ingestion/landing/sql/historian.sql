-- name: machines
SELECT machine_id FROM landing.machine ORDER BY machine_id;

-- name: metric_limits
SELECT machine_id, metric, setpoint, min_value, max_value
FROM landing.machine_metric_limit ORDER BY machine_id, metric;

-- name: state_reasons
SELECT reason_code, state FROM landing.state_reason ORDER BY reason_code;

-- name: record_arrival
INSERT INTO landing.import_arrival (source_file, table_name, ts) VALUES (%s, %s, %s);
