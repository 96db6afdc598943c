-- Defect facts (issue 6), partitioned by plant-local day like every fact.
-- Pareto of one day by dimension: defect_type, machine_id (inspection tool) or step_no.
CREATE TABLE IF NOT EXISTS fab.fact_defect_pareto (
    day        Date,
    dimension  LowCardinality(String),
    key        String,
    defects    UInt64,
    pct        Float64,
    cum_pct    Float64,
    rank       UInt16
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (dimension, rank);

-- Per type: the day's count, the 7-day rolling mean and the OLS trend over the last 28 days.
CREATE TABLE IF NOT EXISTS fab.fact_defect_trends (
    day            Date,
    defect_type    LowCardinality(String),
    defects        UInt64,
    rolling_mean   Float64,
    slope_per_day  Float64,
    p_value        Float64,
    trend_days     UInt16
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY defect_type;

CREATE TABLE IF NOT EXISTS fab.fact_defect_tool_stats (
    day              Date,
    machine_id       LowCardinality(String),
    inspections      UInt32,
    wafers           UInt32,
    defects          UInt64,
    mean_per_wafer   Float64,
    last_inspection  DateTime64(3, 'UTC')
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY machine_id;

-- The spatial signature of every inspected wafer map.
CREATE TABLE IF NOT EXISTS fab.fact_wafer_signature (
    day             Date,
    ts              DateTime64(3, 'UTC'),
    inspection_id   String,
    wafer_id        String,
    lot_id          String,
    machine_id      LowCardinality(String),
    signature       LowCardinality(String),
    confidence      Float64,
    defects_on_map  UInt32
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (signature, ts, inspection_id);

-- Yield impact per inspected wafer and per lot (that day's inspections): D0 and Poisson yield.
CREATE TABLE IF NOT EXISTS fab.fact_defect_yield (
    day             Date,
    level           LowCardinality(String),   -- wafer | lot
    inspection_id   String,
    wafer_id        String,
    lot_id          String,
    product_id      LowCardinality(String),
    wafers          UInt32,
    defects         UInt64,
    die_area_mm2    Float64,
    d0_per_cm2      Float64,
    poisson_yield   Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (level, lot_id, inspection_id);
