-- Mean time between failures and to repair per machine over the range (hours), from
-- additive run minutes, breakdown minutes and failure counts.
SELECT
    r.machine_id                                                       AS "Machine",
    sum(r.failures)                                                    AS "Failures",
    sum(r.run_min) / 60 / nullIf(sum(r.failures), 0)                   AS "MTBF",
    sum(r.breakdown_min) / 60 / nullIf(sum(r.failures), 0)             AS "MTTR",
    any(m.mtbf_h)                                                      AS "Design MTBF",
    any(m.mttr_h)                                                      AS "Design MTTR"
FROM fab.fact_mtbf_mttr AS r
INNER JOIN fab.dim_machine AS m ON m.machine_id = r.machine_id
WHERE r.machine_id IN (${machine:singlequote})
  AND $__dateFilter(r.day)
GROUP BY r.machine_id
ORDER BY "MTBF" ASC NULLS FIRST
