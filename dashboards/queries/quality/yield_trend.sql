-- Die yield per day and product: good dies / tested dies of the wafers sorted that day.
SELECT toDateTime(day) AS "Time", if(product_id = '', 'imported', toString(product_id)) AS "Product",
       sum(dies - failed_dies) / sum(dies) AS "Die yield"
FROM fab.fact_wafer_sort
WHERE $__timeFilter(ts) AND dies > 0
GROUP BY day, product_id
ORDER BY day
