-- The six big losses (and idle time) in hours over the selected machines and range.
SELECT
    multiIf(l.loss = 'breakdown', 'Breakdowns',
            l.loss = 'setup_adjustment', 'Setup and adjustment',
            l.loss = 'small_stop', 'Small stops',
            l.loss = 'reduced_speed', 'Reduced speed',
            l.loss = 'startup_reject', 'Start-up rejects',
            l.loss = 'production_reject', 'Production rejects',
            l.loss = 'idle', 'Idle',
            toString(l.loss))                                          AS "Loss",
    sum(l.minutes) / 60                                                AS "Hours lost"
FROM fab.fact_oee_losses AS l
WHERE l.machine_id IN (${machine:singlequote})
  AND $__timeFilter(l.window_start)
GROUP BY l.loss
ORDER BY "Hours lost" DESC
