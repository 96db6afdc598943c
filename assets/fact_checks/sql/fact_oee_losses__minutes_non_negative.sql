-- Reduced speed is run time minus ideal time: negative where performance tops 100 % (lot
-- counts land at track-out), which fact_oee__performance_at_most_one reports.
SELECT countIf((minutes < 0 AND loss != 'reduced_speed') OR NOT isFinite(minutes)) AS failing,
       count() AS checked
FROM fab.fact_oee_losses WHERE day = {day:Date};
