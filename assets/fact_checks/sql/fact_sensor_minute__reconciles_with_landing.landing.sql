-- Readings landed in the plant day's UTC window.
SELECT count(*) FROM landing.sensor_reading WHERE ts >= %(day_start)s AND ts < %(day_end)s;
