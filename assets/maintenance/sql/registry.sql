-- Model registry queries (table from ingestion/landing/migrations/0007_models.sql).

-- name: lock
SELECT pg_advisory_xact_lock(4242007);

-- name: next_version
SELECT coalesce(max(version), 0) + 1 FROM landing.model_registry WHERE model_name = %(model_name)s;

-- name: insert
INSERT INTO landing.model_registry (
    model_name, version, family, horizon_days, params, seed, feature_columns, metrics,
    baseline_metrics, importances, train_start, train_end, validation_start, validation_end,
    test_start, test_end, code_version, artifact_path)
VALUES (
    %(model_name)s, %(version)s, %(family)s, %(horizon_days)s, %(params)s, %(seed)s,
    %(feature_columns)s, %(metrics)s, %(baseline_metrics)s, %(importances)s, %(train_start)s,
    %(train_end)s, %(validation_start)s, %(validation_end)s, %(test_start)s, %(test_end)s,
    %(code_version)s, %(artifact_path)s);

-- name: list
SELECT * FROM landing.model_registry WHERE model_name = %(model_name)s ORDER BY version;

-- name: get
SELECT * FROM landing.model_registry WHERE model_name = %(model_name)s AND version = %(version)s;

-- name: promoted
SELECT * FROM landing.model_registry WHERE model_name = %(model_name)s AND promoted;

-- name: demote
UPDATE landing.model_registry SET promoted = false
WHERE model_name = %(model_name)s AND promoted;

-- name: promote
UPDATE landing.model_registry
SET promoted = true, promoted_at = now(), promotion_note = %(note)s
WHERE model_name = %(model_name)s AND version = %(version)s;

-- name: table_exists
SELECT to_regclass('landing.model_registry') IS NOT NULL;
