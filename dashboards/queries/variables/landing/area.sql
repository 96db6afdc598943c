-- Areas of the selected sites.
SELECT area_id AS "Area" FROM landing.area WHERE site_id IN (${site:singlequote}) ORDER BY area_id
