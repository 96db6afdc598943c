SELECT m.machine_id, m.ideal_cycle_time_s, m.area_id, a.line, m.site_id
FROM landing.machine m JOIN landing.area a USING (area_id)
ORDER BY m.machine_id
