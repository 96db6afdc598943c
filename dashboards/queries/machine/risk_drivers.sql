-- What drives the latest risk score: the recommended action and the top contributing features.
SELECT toString(day) AS "Day", probability AS "Failure probability", toString(band) AS "Risk band",
       action AS "Recommended action", top_features AS "Top contributing features",
       model_version AS "Model version"
FROM fab.fact_failure_risk
WHERE machine_id = '${machine}' AND $__dateFilter(day)
ORDER BY day DESC
LIMIT 7
