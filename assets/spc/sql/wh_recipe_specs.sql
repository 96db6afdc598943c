-- Spec limits of the recipes' measured parameters (JSON per recipe), from the dimension.
SELECT recipe_id, spec_limits FROM fab.dim_recipe ORDER BY recipe_id;
