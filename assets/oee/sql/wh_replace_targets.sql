TRUNCATE TABLE fab.dim_oee_target;
