-- The charts of the series (e.g. I and MR, X-bar and R, c): one panel each.
SELECT DISTINCT chart AS "Chart"
FROM fab.spc_limits
WHERE machine_id = '${machine}' AND item = '${item}'
  AND recipe_id = if('${recipe}' = '-', '', '${recipe}')
ORDER BY "Chart"
