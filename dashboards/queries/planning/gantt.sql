-- The plan as a Gantt (selected machines and recipes): per machine, each slot from its start
-- labelled "lot (recipe)", and "idle" from its end unless the next slot starts right then.
SELECT s.start_ts AS "Time", s.machine_id AS "Machine",
       s.lot_id || ' (' || s.recipe_id || ')' AS "Lot"
FROM landing.schedule_slot AS s
WHERE s.plan_id = '${plan}' AND s.machine_id IN (${machine:singlequote})
  AND s.recipe_id IN (${recipe:singlequote})
UNION ALL
SELECT s.end_ts, s.machine_id, 'idle'
FROM landing.schedule_slot AS s
WHERE s.plan_id = '${plan}' AND s.machine_id IN (${machine:singlequote})
  AND s.recipe_id IN (${recipe:singlequote})
  AND NOT EXISTS (
      SELECT 1 FROM landing.schedule_slot AS n
      WHERE n.plan_id = s.plan_id AND n.machine_id = s.machine_id AND n.start_ts = s.end_ts
  )
ORDER BY 1, 2
