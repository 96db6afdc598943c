-- Every lot step appears once in its plan, and every slot ends after it starts.
SELECT (count() - uniqExact(plan_id, lot_id, step_no)) + countIf(end_ts < start_ts) AS failing,
       count() AS checked
FROM fab.fact_schedule_slot WHERE day = {day:Date};
