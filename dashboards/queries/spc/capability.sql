-- Capability of the selected series on the newest day of the range (its lot means or hourly
-- means over the 7 days up to that day): the indices (Cp/Cpk from the control limits' within
-- sigma, Pp/Ppk from the overall sigma, Cpm against the target; null where the recipe sets no
-- spec limits), the spec and the natural spread. Two panels show the two halves.
SELECT cp                           AS "Cp",
       cpk                          AS "Cpk",
       pp                           AS "Pp",
       ppk                          AS "Ppk",
       cpm                          AS "Cpm",
       if(unit = '', '-', unit)     AS "Unit",
       lsl                          AS "LSL",
       target                       AS "Target",
       usl                          AS "USL",
       mean                         AS "Mean",
       sigma_within                 AS "Sigma within",
       sigma_overall                AS "Sigma overall",
       6 * sigma_within             AS "Natural tolerance (6 sigma)",
       points                       AS "Points",
       window_days                  AS "Window"
FROM fab.fact_spc_capability
WHERE machine_id = '${machine}' AND item = '${item}'
  AND recipe_id = if('${recipe}' = '-', '', '${recipe}')
  AND $__dateFilter(day)
ORDER BY day DESC
LIMIT 1
