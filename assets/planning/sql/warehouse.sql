-- Planning facts in the warehouse (database fab). One partition per plant-local plan day holding
-- that day's latest plan: a re-plan replaces its day.
CREATE DATABASE IF NOT EXISTS fab;

CREATE TABLE IF NOT EXISTS fab.fact_schedule_slot (
    day         Date,
    plan_id     String,
    lot_id      String,
    step_no     UInt16,
    machine_id  LowCardinality(String),
    recipe_id   LowCardinality(String),
    start_ts    DateTime('UTC'),
    end_ts      DateTime('UTC'),
    setup_min   UInt32,
    wafers      UInt16,
    frozen      Bool,
    due_ts      Nullable(DateTime('UTC'))
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, start_ts, lot_id);

CREATE TABLE IF NOT EXISTS fab.fact_plan_run (
    day                 Date,
    plan_id             String,
    plan_start          DateTime('UTC'),
    status              LowCardinality(String),
    source              LowCardinality(String),
    objective           Nullable(Float64),
    best_bound          Nullable(Float64),
    gap                 Nullable(Float64),
    makespan_min        Nullable(Int64),
    weighted_tardiness  Nullable(Int64),
    lots                UInt32,
    operations          UInt32,
    on_time_lots        Nullable(UInt32),
    late_lots           Nullable(UInt32),
    bottleneck          Nullable(String),
    offending_lots      UInt32,
    solve_time_s        Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY plan_id;

CREATE TABLE IF NOT EXISTS fab.fact_plan_utilisation (
    day          Date,
    plan_id      String,
    machine_id   LowCardinality(String),
    utilisation  Float64,
    bottleneck   Bool
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (plan_id, machine_id);
