-- Wafers (good + scrap) counted by the machines in the plant day's UTC window.
SELECT coalesce(sum(good + scrap), 0) FROM landing.production_count
WHERE ts >= %(day_start)s AND ts < %(day_end)s;
