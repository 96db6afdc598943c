-- Machines with their type, area and site, from the landing zone's reference tables.
TRUNCATE TABLE fab.dim_machine__stage;
INSERT INTO fab.dim_machine__stage
SELECT m.machine_id, m.machine_type, t.description, m.area_id, a.name, a.line, m.site_id, s.name,
       s.timezone, m.ideal_cycle_time_s, m.efficiency, t.mtbf_h, t.mttr_h,
       m.temperature_max, m.vibration_max
FROM postgresql({pg_host:String}, {pg_db:String}, 'machine', {pg_user:String}, {pg_password:String}, 'landing') AS m
JOIN postgresql({pg_host:String}, {pg_db:String}, 'machine_type', {pg_user:String}, {pg_password:String}, 'landing') AS t ON t.machine_type = m.machine_type
JOIN postgresql({pg_host:String}, {pg_db:String}, 'area', {pg_user:String}, {pg_password:String}, 'landing') AS a ON a.area_id = m.area_id
JOIN postgresql({pg_host:String}, {pg_db:String}, 'site', {pg_user:String}, {pg_password:String}, 'landing') AS s ON s.site_id = m.site_id;
EXCHANGE TABLES fab.dim_machine AND fab.dim_machine__stage;
TRUNCATE TABLE fab.dim_machine__stage;
