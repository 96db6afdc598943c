-- OEE facts (issue 6). Partitioned by plant-local day like every fact: a shift belongs to the
-- day its window ends in (night shift C of the 24th lands on the 25th, when it is complete),
-- an hour to the day it starts in. Times in minutes; ratios are 0..1, NULL when undefined.
CREATE TABLE IF NOT EXISTS fab.fact_oee (
    day                     Date,
    grain                   LowCardinality(String),   -- shift | hour
    level                   LowCardinality(String),   -- machine | area | line | plant
    entity_id               LowCardinality(String),
    shift_date              Date,
    shift_code              LowCardinality(String),
    window_start            DateTime64(3, 'UTC'),
    window_end              DateTime64(3, 'UTC'),
    complete                UInt8,
    window_min              Float64,
    no_data_min             Float64,
    not_scheduled_min       Float64,
    planned_stop_min        Float64,
    planned_production_min  Float64,
    run_min                 Float64,
    downtime_min            Float64,
    breakdown_min           Float64,
    setup_adjustment_min    Float64,
    idle_min                Float64,
    small_stop_min          Float64,
    reduced_speed_min       Float64,
    startup_reject_min      Float64,
    production_reject_min   Float64,
    ideal_run_min           Float64,
    fully_productive_min    Float64,
    good                    UInt64,
    scrap                   UInt64,
    total                   UInt64,
    startup_scrap           UInt64,
    availability            Nullable(Float64),
    performance             Nullable(Float64),
    quality                 Nullable(Float64),
    oee                     Nullable(Float64)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (grain, level, entity_id, window_start);

-- Six big losses (+ idle) per machine and shift, minutes, long format for stacked bars.
CREATE TABLE IF NOT EXISTS fab.fact_oee_losses (
    day           Date,
    machine_id    LowCardinality(String),
    shift_date    Date,
    shift_code    LowCardinality(String),
    window_start  DateTime64(3, 'UTC'),
    loss          LowCardinality(String),
    minutes       Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, window_start, loss);

-- Downtime by reason code per machine (and the whole plant, machine_id = '') and day.
CREATE TABLE IF NOT EXISTS fab.fact_downtime_pareto (
    day            Date,
    machine_id     LowCardinality(String),
    reason_code    LowCardinality(String),
    loss_category  LowCardinality(String),
    minutes        Float64,
    occurrences    UInt32,
    pct            Float64,
    cum_pct        Float64,
    rank           UInt16
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, rank);

-- Failures, breakdown and run minutes per machine and day; MTBF/MTTR over any period are
-- sum(run_min)/sum(failures) and sum(breakdown_min)/sum(failures).
CREATE TABLE IF NOT EXISTS fab.fact_mtbf_mttr (
    day            Date,
    machine_id     LowCardinality(String),
    failures       UInt32,
    breakdown_min  Float64,
    run_min        Float64,
    mtbf_h         Nullable(Float64),
    mttr_h         Nullable(Float64)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY machine_id;

-- OEE targets as data (percent): reference lines on boards and alert thresholds.
CREATE TABLE IF NOT EXISTS fab.dim_oee_target (
    target        LowCardinality(String),
    oee           Float64,
    availability  Float64,
    performance   Float64,
    quality       Float64
) ENGINE = MergeTree ORDER BY target;
