-- landing.model_registry: the read model of the MLflow registry the boards query (table from
-- ingestion/landing/migrations/0007_models.sql). Rows from before MLflow have a file path as
-- artifact_path; rows written from MLflow have the model URI models:/<name>/<version>.

-- name: lock
SELECT pg_advisory_xact_lock(4242007);

-- name: upsert
INSERT INTO landing.model_registry (
    model_name, version, family, horizon_days, params, seed, feature_columns, metrics,
    baseline_metrics, importances, train_start, train_end, validation_start, validation_end,
    test_start, test_end, code_version, artifact_path, created_at, promoted, promoted_at,
    promotion_note)
VALUES (
    %(model_name)s, %(version)s, %(family)s, %(horizon_days)s, %(params)s, %(seed)s,
    %(feature_columns)s, %(metrics)s, %(baseline_metrics)s, %(importances)s, %(train_start)s,
    %(train_end)s, %(validation_start)s, %(validation_end)s, %(test_start)s, %(test_end)s,
    %(code_version)s, %(artifact_path)s, %(created_at)s, false, NULL, %(promotion_note)s)
ON CONFLICT (model_name, version) DO UPDATE SET
    family = EXCLUDED.family, horizon_days = EXCLUDED.horizon_days, params = EXCLUDED.params,
    seed = EXCLUDED.seed, feature_columns = EXCLUDED.feature_columns, metrics = EXCLUDED.metrics,
    baseline_metrics = EXCLUDED.baseline_metrics, importances = EXCLUDED.importances,
    train_start = EXCLUDED.train_start, train_end = EXCLUDED.train_end,
    validation_start = EXCLUDED.validation_start, validation_end = EXCLUDED.validation_end,
    test_start = EXCLUDED.test_start, test_end = EXCLUDED.test_end,
    code_version = EXCLUDED.code_version, artifact_path = EXCLUDED.artifact_path,
    created_at = EXCLUDED.created_at;

-- name: demote
UPDATE landing.model_registry SET promoted = false
WHERE model_name = %(model_name)s AND promoted;

-- name: promote
UPDATE landing.model_registry
SET promoted = true, promoted_at = now(), promotion_note = %(note)s
WHERE model_name = %(model_name)s AND version = %(version)s;

-- name: table_exists
SELECT to_regclass('landing.model_registry') IS NOT NULL;

-- name: legacy_rows
SELECT * FROM landing.model_registry
WHERE model_name = %(model_name)s AND artifact_path NOT LIKE 'models:/%%'
ORDER BY version;

-- name: delete_legacy
DELETE FROM landing.model_registry
WHERE model_name = %(model_name)s AND artifact_path NOT LIKE 'models:/%%';
