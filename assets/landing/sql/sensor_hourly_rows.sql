SELECT count(*) AS buckets, coalesce(sum(n), 0) AS readings
FROM landing.sensor_reading_hourly
WHERE bucket >= %(start)s AND bucket < %(end)s
