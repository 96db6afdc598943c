TRUNCATE TABLE fab.dim_defect_type;
INSERT INTO fab.dim_defect_type
SELECT defect_type, name, severity, color FROM postgresql({pg_host:String}, {pg_db:String}, 'defect_type', {pg_user:String}, {pg_password:String}, 'landing');
