-- Machines of the selected sites and areas that have SPC series (frozen limits).
SELECT DISTINCT l.machine_id AS "Machine"
FROM fab.spc_limits AS l
WHERE l.machine_id IN (
    SELECT machine_id FROM fab.dim_machine
    WHERE site_id IN (${site:singlequote}) AND area_id IN (${area:singlequote})
)
ORDER BY "Machine"
