-- Machines of the selected sites and areas.
SELECT machine_id AS "Machine"
FROM landing.machine
WHERE site_id IN (${site:singlequote}) AND area_id IN (${area:singlequote})
ORDER BY machine_id
