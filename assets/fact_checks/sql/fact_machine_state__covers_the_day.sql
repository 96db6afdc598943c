-- Machines whose intervals do not add up to the day's seconds (up to the build while the day
-- runs: an open interval ends at the build time, so today is checked for overlaps only).
WITH dateDiff('millisecond', {day_start:DateTime64(6, 'UTC')}, {day_end:DateTime64(6, 'UTC')}) / 1000.0 AS day_s
SELECT countIf(if(max_open = 1, seconds > day_s + 0.001, abs(seconds - day_s) > 0.001)) AS failing,
       count() AS checked
FROM (
    SELECT machine_id, sum(duration_s) AS seconds, max(is_open) AS max_open
    FROM fab.fact_machine_state WHERE day = {day:Date} GROUP BY machine_id
);
