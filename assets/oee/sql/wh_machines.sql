SELECT machine_id, ideal_cycle_time_s, area_id, line, site_id FROM fab.dim_machine ORDER BY machine_id;
