-- Forecast facts in the warehouse (database fab), one partition per plant-local forecast day.
CREATE DATABASE IF NOT EXISTS fab;

CREATE TABLE IF NOT EXISTS fab.fact_forecast_capacity (
    day                Date,
    level              LowCardinality(String),  -- machine | area | line
    key                String,
    area_id            String,
    horizon_days       UInt16,
    sims               UInt32,
    seed               UInt64,
    mean               Float64,
    p5                 Float64,
    p10                Float64,
    p50                Float64,
    p90                Float64,
    p95                Float64,
    p99                Float64,
    ci95_low           Float64,
    ci95_high          Float64,
    bottleneck_share   Float64,
    is_bottleneck      Bool
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (level, key);

-- The fan chart: cumulative output by the end of each day of the horizon, per area (wafer
-- passes) and for the line (wafers finishing the route). Day 1 is the forecast day itself.
CREATE TABLE IF NOT EXISTS fab.fact_forecast_fan (
    day           Date,                    -- the forecast's day (partition)
    level         LowCardinality(String),  -- area | line
    area_id       String,                  -- '' for the line
    horizon_day   UInt16,                  -- 1 .. horizon_days
    horizon_date  Date,                    -- day + horizon_day - 1
    horizon_days  UInt16,
    sims          UInt32,
    seed          UInt64,
    mean          Float64,
    p10           Float64,
    p25           Float64,
    p50           Float64,
    p75           Float64,
    p90           Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (level, area_id, horizon_day);

CREATE TABLE IF NOT EXISTS fab.fact_forecast_scenario (
    day              Date,
    scenario         String,
    p50              Float64,
    base_p50         Float64,
    improvement_pct  Float64,
    bottleneck_area  String
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY scenario;

CREATE TABLE IF NOT EXISTS fab.fact_forecast_on_time (
    day              Date,
    plan_id          String,
    lot_id           String,
    due_ts           Nullable(DateTime('UTC')),
    planned_end_ts   DateTime('UTC'),
    planned_on_time  Bool,
    p_on_time        Nullable(Float64),
    end_p50_ts       DateTime('UTC'),
    end_p90_ts       DateTime('UTC'),
    sims             UInt32
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY lot_id;

CREATE TABLE IF NOT EXISTS fab.fact_forecast_ets (
    day          Date,
    model        String,
    day_ahead    UInt16,
    mean         Float64,
    pi_low       Float64,
    pi_high      Float64,
    total_p50    Float64,
    total_low    Float64,
    total_high   Float64,
    mc_line_p50  Nullable(Float64)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY day_ahead;
