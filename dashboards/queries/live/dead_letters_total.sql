-- Dead letters in the time range and their rate per hour (one row, zeros when clean).
SELECT
    count(*) AS "Dead letters",
    count(*) / greatest(
        extract(epoch FROM ($__timeTo()::timestamptz - $__timeFrom()::timestamptz)) / 3600.0, 1e-9
    ) AS "Dead letters per hour"
FROM landing.dead_letter
WHERE $__timeFilter(received_at)
