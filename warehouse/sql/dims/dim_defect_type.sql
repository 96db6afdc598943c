-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_defect_type__stage;
INSERT INTO fab.dim_defect_type__stage
SELECT defect_type, name, severity, color FROM postgresql({pg_host:String}, {pg_db:String}, 'defect_type', {pg_user:String}, {pg_password:String}, 'landing');
EXCHANGE TABLES fab.dim_defect_type AND fab.dim_defect_type__stage;
TRUNCATE TABLE fab.dim_defect_type__stage;
