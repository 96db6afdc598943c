-- Rebuilt in a staging twin, then swapped in atomically (EXCHANGE TABLES).
TRUNCATE TABLE fab.dim_state_reason__stage;
INSERT INTO fab.dim_state_reason__stage
SELECT reason_code, state, description, loss_category FROM postgresql({pg_host:String}, {pg_db:String}, 'state_reason', {pg_user:String}, {pg_password:String}, 'landing');
EXCHANGE TABLES fab.dim_state_reason AND fab.dim_state_reason__stage;
TRUNCATE TABLE fab.dim_state_reason__stage;
