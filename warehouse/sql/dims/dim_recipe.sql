-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_recipe__stage;
INSERT INTO fab.dim_recipe__stage
SELECT recipe_id, machine_type, family, process_time_s, setpoints, spec_limits
FROM postgresql({pg_host:String}, {pg_db:String}, 'recipe', {pg_user:String}, {pg_password:String}, 'landing');
EXCHANGE TABLES fab.dim_recipe AND fab.dim_recipe__stage;
TRUNCATE TABLE fab.dim_recipe__stage;
