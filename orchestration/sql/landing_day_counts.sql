-- Event rows per plant-local day since %(since)s: the landing sensor's fingerprint of what has
-- arrived. Sensor readings are left out on purpose (too many to count every minute; state,
-- count and lot events arrive with them). Historian imports (`fab import`) of the window count
-- by the days they landed, however old: a backfilled day gets its run.
SELECT (ts AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
FROM (
    SELECT ts FROM landing.machine_state WHERE ts >= %(since)s
    UNION ALL SELECT ts FROM landing.production_count WHERE ts >= %(since)s
    UNION ALL SELECT ts FROM landing.lot_move WHERE ts >= %(since)s
    UNION ALL SELECT ts FROM landing.inspection WHERE ts >= %(since)s
    UNION ALL SELECT ts FROM landing.import_arrival WHERE imported_at >= %(since)s
) AS events
GROUP BY 1
ORDER BY 1
