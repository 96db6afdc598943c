TRUNCATE TABLE fab.dim_recipe;
INSERT INTO fab.dim_recipe
SELECT recipe_id, machine_type, family, process_time_s, setpoints
FROM postgresql({pg_host:String}, {pg_db:String}, 'recipe', {pg_user:String}, {pg_password:String}, 'landing');
