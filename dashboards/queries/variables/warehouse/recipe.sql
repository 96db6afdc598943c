-- Recipes that run on the selected machines' types.
SELECT recipe_id AS "Recipe"
FROM fab.dim_recipe
WHERE machine_type IN (
    SELECT machine_type FROM fab.dim_machine WHERE machine_id IN (${machine:singlequote})
)
ORDER BY recipe_id
