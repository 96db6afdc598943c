SELECT c.site_id, s.timezone, c.shift_code, c.start_local, c.duration_min
FROM landing.shift_calendar c JOIN landing.site s USING (site_id)
ORDER BY c.site_id, c.start_local
