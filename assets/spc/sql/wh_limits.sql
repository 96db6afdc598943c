SELECT * FROM fab.spc_limits ORDER BY source, machine_id, item, recipe_id, chart, version;
