-- Shift instances for every day from {first:Date} to {last:Date}: local start time and duration
-- from the shift calendar, turned into UTC in the site's time zone {tz:String} (DST-correct:
-- a night shift over a clock change is 7 or 9 hours long, as on the floor).
TRUNCATE TABLE fab.dim_shift__stage;
INSERT INTO fab.dim_shift__stage
SELECT c.site_id, d AS shift_date, c.shift_code, c.start_local,
       toDateTime64(concat(toString(d), ' ', c.start_local), 3, {tz:String}) AS start_utc,
       toDateTime64(concat(toString(d + intDiv(c.start_min + c.duration_min, 1440)), ' ',
                           formatDateTime(toDateTime('2000-01-01 00:00:00', 'UTC')
                               + toIntervalMinute((c.start_min + c.duration_min) % 1440),
                               '%H:%i:%S', 'UTC')),
                    3, {tz:String}) AS end_utc,
       dateDiff('millisecond', start_utc, end_utc) / 60000.0 AS duration_min,
       c.break_min,
       duration_min - c.break_min AS planned_min
FROM (
    SELECT cal.site_id AS site_id, cal.shift_code AS shift_code,
           substring(cal.start_local, 1, 8) AS start_local,
           toUInt32(substring(cal.start_local, 1, 2)) * 60
               + toUInt32(substring(cal.start_local, 4, 2)) AS start_min,
           toUInt32(cal.duration_min) AS duration_min,
           toFloat64(ifNull(b.break_min, 0)) AS break_min
    FROM postgresql({pg_host:String}, {pg_db:String}, 'shift_calendar', {pg_user:String}, {pg_password:String}, 'landing') AS cal
    LEFT JOIN (
        SELECT site_id, shift_code, sum(duration_min) AS break_min
        FROM postgresql({pg_host:String}, {pg_db:String}, 'shift_break', {pg_user:String}, {pg_password:String}, 'landing')
        GROUP BY site_id, shift_code
    ) AS b ON b.site_id = cal.site_id AND b.shift_code = cal.shift_code
) AS c
CROSS JOIN (
    SELECT {first:Date} + number AS d
    FROM numbers(toUInt64(dateDiff('day', {first:Date}, {last:Date}) + 1))
) AS days
SETTINGS join_use_nulls = 1;
EXCHANGE TABLES fab.dim_shift AND fab.dim_shift__stage;
TRUNCATE TABLE fab.dim_shift__stage;
