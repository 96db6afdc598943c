-- Downtime by reason over the range, largest first, with the cumulative share (Pareto).
SELECT
    coalesce(nullIf(r.description, ''), toString(p.reason_code))      AS "Reason",
    toString(p.loss_category)                                          AS "Loss category",
    sum(p.minutes) / 60                                                AS "Downtime",
    sum(p.occurrences)                                                 AS "Occurrences",
    sum(sum(p.minutes)) OVER (ORDER BY sum(p.minutes) DESC
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      / sum(sum(p.minutes)) OVER ()                                    AS "Cumulative share"
FROM fab.fact_downtime_pareto AS p
LEFT JOIN fab.dim_state_reason AS r ON r.reason_code = p.reason_code
WHERE p.machine_id IN (${machine:singlequote})
  AND $__dateFilter(p.day)
GROUP BY p.reason_code, p.loss_category, r.description
ORDER BY "Downtime" DESC
LIMIT 15
