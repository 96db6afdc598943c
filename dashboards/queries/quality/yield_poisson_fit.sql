-- Poisson yield model Y = Y0 exp(-A k D0) fitted to the wafers of yield_vs_d0 by least
-- squares on ln Y, drawn over the observed density range (21 points).
WITH fit AS (
    SELECT simpleLinearRegression(d0, log(greatest(y, 0.001))) AS kb, max(d0) AS max_d0
    FROM (SELECT i.defects / 678.9 AS d0, s.die_yield AS y
          FROM fab.fact_wafer_sort AS s
          INNER JOIN (SELECT wafer_id, max(defect_count) AS defects FROM fab.fact_inspection
                      GROUP BY wafer_id) AS i ON i.wafer_id = s.wafer_id
          WHERE $__timeFilter(s.ts))
)
SELECT max_d0 * n / 20 AS "Defect density", exp(kb.2 + kb.1 * max_d0 * n / 20) AS "Poisson fit"
FROM fit ARRAY JOIN range(0, 21) AS n
WHERE max_d0 > 0
