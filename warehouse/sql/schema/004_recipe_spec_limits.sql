-- Spec limits of recipe measurements (issue 9): warehouses created before the column existed
-- get it here; the staging twin too, as the two are swapped by EXCHANGE TABLES.
ALTER TABLE fab.dim_recipe ADD COLUMN IF NOT EXISTS spec_limits String DEFAULT '{}';
ALTER TABLE fab.dim_recipe__stage ADD COLUMN IF NOT EXISTS spec_limits String DEFAULT '{}';
