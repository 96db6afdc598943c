-- Estimated die yield (Poisson, from defect density D0 and die area) over the lots in the range.
SELECT avg(poisson_yield) AS "Estimated yield", avg(d0_per_cm2) AS "Defect density"
FROM fab.fact_defect_yield
WHERE level = 'lot' AND $__dateFilter(day)
