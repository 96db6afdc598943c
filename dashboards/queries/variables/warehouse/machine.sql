-- Machines of the selected sites and areas.
SELECT machine_id AS "Machine"
FROM fab.dim_machine
WHERE site_id IN (${site:singlequote}) AND area_id IN (${area:singlequote})
ORDER BY machine_id
