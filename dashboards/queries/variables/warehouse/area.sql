-- Areas of the selected sites.
SELECT DISTINCT area_id AS "Area"
FROM fab.dim_machine
WHERE site_id IN (${site:singlequote})
ORDER BY area_id
