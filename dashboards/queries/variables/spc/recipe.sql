-- Recipes the item is charted for; '-' = a series that does not depend on the recipe.
SELECT DISTINCT if(recipe_id = '', '-', toString(recipe_id)) AS "Recipe"
FROM fab.spc_limits
WHERE machine_id = '${machine}' AND item = '${item}'
ORDER BY "Recipe"
