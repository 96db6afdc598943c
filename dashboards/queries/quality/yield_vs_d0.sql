-- Die yield of each sorted wafer against its inspection defect density (defects per cm2 of
-- the 678.9 cm2 inspected area of a 300 mm wafer with 3 mm edge exclusion).
SELECT i.defects / 678.9 AS "Defect density", s.die_yield AS "Die yield"
FROM fab.fact_wafer_sort AS s
INNER JOIN (SELECT wafer_id, max(defect_count) AS defects FROM fab.fact_inspection
            GROUP BY wafer_id) AS i ON i.wafer_id = s.wafer_id
WHERE $__timeFilter(s.ts)
