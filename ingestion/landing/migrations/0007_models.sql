-- Model registry (issue 7): every trained model version, its figures and where its artifact is.
-- Kept in PostgreSQL, not the warehouse: promotion is a transaction (at most one promoted version
-- per model, enforced by a partial unique index), and `fab model` must work while an embedded
-- warehouse (chDB) is held open by another process.
CREATE TABLE landing.model_registry (
    model_name        text NOT NULL,
    version           integer NOT NULL CHECK (version >= 1),
    family            text NOT NULL,
    horizon_days      integer NOT NULL CHECK (horizon_days BETWEEN 1 AND 14),
    params            jsonb NOT NULL DEFAULT '{}',
    seed              bigint NOT NULL,
    feature_columns   jsonb NOT NULL,
    metrics           jsonb NOT NULL,
    baseline_metrics  jsonb,
    importances       jsonb NOT NULL DEFAULT '[]',
    train_start       date NOT NULL,
    train_end         date NOT NULL,
    validation_start  date NOT NULL,
    validation_end    date NOT NULL,
    test_start        date NOT NULL,
    test_end          date NOT NULL,
    code_version      text NOT NULL,
    artifact_path     text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    promoted          boolean NOT NULL DEFAULT false,
    promoted_at       timestamptz,
    promotion_note    text NOT NULL DEFAULT '',
    PRIMARY KEY (model_name, version)
);
CREATE UNIQUE INDEX model_registry_one_promoted ON landing.model_registry (model_name)
    WHERE promoted;
