-- The champion failure model (alias `champion` in MLflow, mirrored in landing.model_registry):
-- version and test metrics.
SELECT version AS "Promoted version", (metrics ->> 'pr_auc')::float AS "PR-AUC",
       (metrics ->> 'roc_auc')::float AS "ROC-AUC", horizon_days AS "Horizon"
FROM landing.model_registry
WHERE promoted AND model_name = 'failure_risk'
ORDER BY promoted_at DESC NULLS LAST
LIMIT 1
