-- Inspected lots in the range: defects, density and yield estimate. Click a lot to drill down.
SELECT lot_id AS "Lot", any(product_id) AS "Product", sum(wafers) AS "Wafers inspected",
       sum(defects) AS "Defects", avg(d0_per_cm2) AS "Defect density",
       avg(poisson_yield) AS "Estimated yield"
FROM fab.fact_defect_yield
WHERE level = 'lot' AND $__dateFilter(day)
GROUP BY lot_id
ORDER BY "Estimated yield" ASC
LIMIT 100
