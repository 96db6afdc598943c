-- Every machine's latest failure risk, worst first, with the recommended action and drivers.
SELECT
    r.machine_id                                   AS "Machine",
    any(r.machine_type)                            AS "Type",
    argMax(r.probability, r.day)                   AS "Failure probability",
    argMax(toString(r.band), r.day)                AS "Risk band",
    argMax(r.action, r.day)                        AS "Recommended action",
    argMax(r.top_features, r.day)                  AS "Top contributing features",
    argMax(r.horizon_days, r.day)                  AS "Horizon",
    argMax(r.model_version, r.day)                 AS "Model version",
    max(r.day)                                     AS "Scored for"
FROM fab.fact_failure_risk AS r
WHERE r.machine_id IN (${machine:singlequote}) AND $__dateFilter(r.day)
GROUP BY r.machine_id
ORDER BY "Failure probability" DESC
