-- Recipes that run on the selected machines' types.
SELECT r.recipe_id AS "Recipe"
FROM landing.recipe AS r
JOIN landing.machine AS m ON m.machine_type = r.machine_type
WHERE m.machine_id IN (${machine:singlequote})
GROUP BY r.recipe_id
ORDER BY r.recipe_id
