-- Every series with spec limits in the selected sites and areas, worst Cpk first (newest day
-- of the range; 7 days of points each): spec, spread and the four indices.
SELECT c.machine_id                                  AS "Machine",
       c.item                                        AS "Item",
       toString(c.recipe_id)                         AS "Recipe",
       c.unit                                        AS "Unit",
       c.lsl                                         AS "LSL",
       c.target                                      AS "Target",
       c.usl                                         AS "USL",
       c.mean                                        AS "Mean",
       c.sigma_within                                AS "Sigma within",
       c.sigma_overall                               AS "Sigma overall",
       c.cp                                          AS "Cp",
       c.cpk                                         AS "Cpk",
       c.pp                                          AS "Pp",
       c.ppk                                         AS "Ppk",
       c.points                                      AS "Points"
FROM fab.fact_spc_capability AS c
WHERE (c.lsl IS NOT NULL OR c.usl IS NOT NULL)
  AND c.machine_id IN (
      SELECT machine_id FROM fab.dim_machine
      WHERE site_id IN (${site:singlequote}) AND area_id IN (${area:singlequote})
  )
  AND c.day = (SELECT max(day) FROM fab.fact_spc_capability WHERE $__dateFilter(day))
ORDER BY "Cpk" ASC, "Machine", "Item", "Recipe"
