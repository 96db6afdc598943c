-- The dispatch list: the next slots per machine from the plan, in order.
SELECT s.machine_id AS "Machine", s.start_ts AS "Start", s.end_ts AS "End",
       s.lot_id AS "Lot", s.step_no AS "Step", s.recipe_id AS "Recipe", s.wafers AS "Wafers",
       s.setup_min * 60 AS "Setup", CASE WHEN s.frozen THEN 'frozen' ELSE '' END AS "Frozen"
FROM landing.schedule_slot AS s
WHERE s.plan_id = '${plan}' AND s.machine_id IN (${machine:singlequote})
  AND s.recipe_id IN (${recipe:singlequote})
ORDER BY s.machine_id, s.start_ts
LIMIT 500
