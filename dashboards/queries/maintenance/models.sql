-- Every trained failure-model version (read model of the MLflow registry): metrics on the
-- held-out test window against the baseline, the data windows and whether it is the champion.
SELECT model_name AS "Model", version AS "Version", family AS "Family",
       CASE WHEN promoted THEN 'promoted' ELSE '' END AS "Status",
       (metrics ->> 'pr_auc')::float AS "PR-AUC",
       (metrics ->> 'roc_auc')::float AS "ROC-AUC",
       (metrics ->> 'precision_high')::float AS "Precision of HIGH",
       (metrics ->> 'recall_high')::float AS "Recall of HIGH",
       (metrics ->> 'mean_lead_time_h')::float AS "Mean warning lead time",
       (baseline_metrics ->> 'pr_auc')::float AS "Baseline PR-AUC",
       horizon_days AS "Horizon",
       train_start::text || ' .. ' || train_end::text AS "Trained on",
       test_start::text || ' .. ' || test_end::text AS "Tested on",
       created_at AS "Created", promotion_note AS "Promotion note"
FROM landing.model_registry
ORDER BY model_name, version DESC
