-- The promoted failure model: version and test metrics.
SELECT version AS "Promoted version", (metrics ->> 'pr_auc')::float AS "PR-AUC",
       (metrics ->> 'roc_auc')::float AS "ROC-AUC", horizon_days AS "Horizon"
FROM landing.model_registry
WHERE promoted
ORDER BY promoted_at DESC NULLS LAST
LIMIT 1
