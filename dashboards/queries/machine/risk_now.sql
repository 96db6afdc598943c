-- The machine's latest failure risk (promoted model) and health score in the range.
SELECT
    argMax(r.probability, r.day)                AS "Failure probability",
    argMax(toString(r.band), r.day)             AS "Risk band",
    argMax(h.health, h.day)                     AS "Health score"
FROM fab.fact_failure_risk AS r
LEFT JOIN fab.fact_machine_health AS h ON h.machine_id = r.machine_id AND h.day = r.day
WHERE r.machine_id = '${machine}' AND $__dateFilter(r.day)
