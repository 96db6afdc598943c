-- Monte Carlo on-time forecast of the plan (its latest run): each lot's probability to meet its
-- due date under random durations and breakdowns, with completion P50 and P90.
SELECT lot_id AS "Lot", p_on_time AS "On-time probability",
       if(planned_on_time, 'on time', 'late') AS "Plan says",
       planned_end_ts AS "Planned completion", end_p50_ts AS "Completion P50",
       end_p90_ts AS "Completion P90", due_ts AS "Due", sims AS "Simulations"
FROM fab.fact_forecast_on_time
WHERE plan_id = '${plan}'
  AND day = (SELECT max(day) FROM fab.fact_forecast_on_time WHERE plan_id = '${plan}')
ORDER BY "On-time probability" ASC, "Lot"
