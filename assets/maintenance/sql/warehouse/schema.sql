-- Maintenance facts in the warehouse (database `fab`). Partitioned by day: a scoring run
-- drops exactly the days it writes, so a re-run never duplicates.

-- Daily failure risk per machine from the promoted model.
CREATE TABLE IF NOT EXISTS fab.fact_failure_risk (
    day            Date,
    machine_id     LowCardinality(String),
    machine_type   LowCardinality(String),
    model_version  UInt32,
    horizon_days   UInt8,
    probability    Float64,
    band           LowCardinality(String),
    action         String,
    top_features   String,
    scored_at      DateTime64(3, 'UTC')
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, day);

-- Isolation Forest scores per machine and hourly sensor window (higher = more anomalous).
CREATE TABLE IF NOT EXISTS fab.fact_anomaly (
    day           Date,
    machine_id    LowCardinality(String),
    machine_type  LowCardinality(String),
    window_start  DateTime('UTC'),
    window_end    DateTime('UTC'),
    score         Float64,
    is_anomaly    UInt8
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, window_start);

-- Health 0-100 per machine and day: 100 - 70 x risk - 30 x min(1, anomaly_rate_7d / 0.25).
CREATE TABLE IF NOT EXISTS fab.fact_machine_health (
    day              Date,
    machine_id       LowCardinality(String),
    machine_type     LowCardinality(String),
    model_version    UInt32,
    probability      Float64,
    band             LowCardinality(String),
    anomaly_rate_7d  Float64,
    health           Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, day);
