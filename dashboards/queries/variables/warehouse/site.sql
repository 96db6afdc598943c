-- Sites that have machines in the warehouse.
SELECT DISTINCT site_id AS "Site" FROM fab.dim_machine ORDER BY site_id
