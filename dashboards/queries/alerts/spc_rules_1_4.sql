-- Western Electric rules 1-4 broken per SPC series in the alert window (0 when in control).
SELECT l.machine_id AS machine, l.item AS item, l.recipe_id AS recipe,
       sum(coalesce(v.violations, 0)) AS violations
FROM (SELECT DISTINCT machine_id, item, recipe_id FROM fab.spc_limits) AS l
LEFT JOIN (
    SELECT machine_id, item, recipe_id, count() AS violations
    FROM fab.spc_violations
    WHERE rule IN (1, 2, 3, 4) AND $__timeFilter(ts)
    GROUP BY machine_id, item, recipe_id
) AS v ON v.machine_id = l.machine_id AND v.item = l.item AND v.recipe_id = l.recipe_id
GROUP BY l.machine_id, l.item, l.recipe_id
