-- Health score (0-100) per machine on the latest day, with the 7-day anomaly rate behind it.
SELECT
    h.machine_id                                   AS "Machine",
    argMax(h.health, h.day)                        AS "Health score",
    argMax(h.probability, h.day)                   AS "Failure probability",
    argMax(h.anomaly_rate_7d, h.day)               AS "Anomaly rate (7 days)",
    argMax(toString(h.band), h.day)                AS "Risk band"
FROM fab.fact_machine_health AS h
WHERE h.machine_id IN (${machine:singlequote}) AND $__dateFilter(h.day)
GROUP BY h.machine_id
ORDER BY "Health score" ASC
