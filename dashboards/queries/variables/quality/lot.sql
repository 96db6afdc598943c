-- Inspected lots in the range: lots with SEM-reviewed defects first, newest first.
SELECT lot_id AS "Lot"
FROM fab.fact_defect
WHERE machine_id IN (${machine:singlequote}) AND $__timeFilter(ts)
GROUP BY lot_id
ORDER BY countIf(sem_image_ref IS NOT NULL) > 0 DESC, max(ts) DESC
