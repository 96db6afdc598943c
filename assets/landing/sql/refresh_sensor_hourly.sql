-- Rebuild the hourly sensor rollup for one window (a no-op under TimescaleDB, whose
-- continuous-aggregate policy keeps it).
SELECT landing.refresh_sensor_reading_hourly(%(start)s, %(end)s)
