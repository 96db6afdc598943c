-- Dead letters per minute over the alert window (one row, 0 when clean).
SELECT count(*) / greatest(
           extract(epoch FROM ($__timeTo()::timestamptz - $__timeFrom()::timestamptz)) / 60.0, 1e-9
       ) AS dead_letters_per_min
FROM landing.dead_letter
WHERE $__timeFilter(received_at)
