TRUNCATE TABLE fab.dim_state_reason;
INSERT INTO fab.dim_state_reason
SELECT reason_code, state, description, loss_category FROM postgresql({pg_host:String}, {pg_db:String}, 'state_reason', {pg_user:String}, {pg_password:String}, 'landing');
