-- Spatial signatures of the inspected wafer maps in the range.
SELECT toString(signature) AS "Signature", count() AS "Wafers"
FROM fab.fact_wafer_signature
WHERE machine_id IN (${machine:singlequote}) AND $__timeFilter(ts)
GROUP BY signature
ORDER BY "Wafers" DESC
