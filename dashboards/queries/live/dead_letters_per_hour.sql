-- Dead letters per hour by error kind.
SELECT $__timeGroupAlias(received_at, '1h'), split_part(error, ':', 1) AS metric,
       count(*) AS "Dead letters"
FROM landing.dead_letter
WHERE $__timeFilter(received_at)
GROUP BY 1, 2
ORDER BY 1
