-- SPC facts (issue 6). A series is (source, machine_id, item, recipe_id): source measurement
-- (per-wafer process parameter, one point per lot step = the lot mean), sensor (hourly mean
-- of a tool metric) or defects (defects per inspected wafer, Laney u' chart).
-- Frozen Phase I limits, versioned: a new version only by an explicit re-baseline.
CREATE TABLE IF NOT EXISTS fab.spc_limits (
    source           LowCardinality(String),
    machine_id       LowCardinality(String),
    item             LowCardinality(String),
    recipe_id        LowCardinality(String),
    chart_type       LowCardinality(String),
    chart            LowCardinality(String),
    version          UInt32,
    baseline_start   DateTime64(3, 'UTC'),
    baseline_end     DateTime64(3, 'UTC'),
    effective_from   Date,
    created_at       DateTime64(3, 'UTC'),
    center           Float64,
    lcl              Float64,
    ucl              Float64,
    sigma            Nullable(Float64),
    parameter        Float64,
    size             Nullable(Float64),
    baseline_points  UInt32,
    reason           String
) ENGINE = MergeTree ORDER BY (source, machine_id, item, recipe_id, chart, version);

CREATE TABLE IF NOT EXISTS fab.fact_spc_points (
    day         Date,
    source      LowCardinality(String),
    machine_id  LowCardinality(String),
    item        LowCardinality(String),
    recipe_id   LowCardinality(String),
    chart_type  LowCardinality(String),
    chart       LowCardinality(String),
    ts          DateTime64(3, 'UTC'),
    subgroup    String,
    n           Float64,
    value       Float64,
    center      Float64,
    lcl         Float64,
    ucl         Float64,
    z           Float64,
    version     UInt32,
    phase       LowCardinality(String)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (source, machine_id, item, recipe_id, chart, ts);

CREATE TABLE IF NOT EXISTS fab.spc_violations (
    day         Date,
    source      LowCardinality(String),
    machine_id  LowCardinality(String),
    item        LowCardinality(String),
    recipe_id   LowCardinality(String),
    chart_type  LowCardinality(String),
    chart       LowCardinality(String),
    ts          DateTime64(3, 'UTC'),
    subgroup    String,
    value       Float64,
    z           Float64,
    rule        UInt8,
    rule_text   String,
    version     UInt32,
    phase       LowCardinality(String)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (source, machine_id, item, ts, rule);

-- Process capability per series and day (issue 9): the individual values of the day and the
-- days before it (window_days), against the spec limits of the recipe's measured parameter
-- (dim_recipe.spec_limits; null for series without). Cp/Cpk from the control limits' within
-- sigma, Pp/Ppk from the overall sigma of the window; Cpm also needs the target.
CREATE TABLE IF NOT EXISTS fab.fact_spc_capability (
    day            Date,
    source         LowCardinality(String),
    machine_id     LowCardinality(String),
    item           LowCardinality(String),
    recipe_id      LowCardinality(String),
    window_days    UInt16,
    points         UInt32,
    unit           String,
    lsl            Nullable(Float64),
    target         Nullable(Float64),
    usl            Nullable(Float64),
    mean           Float64,
    sigma_within   Float64,
    sigma_overall  Float64,
    cp             Nullable(Float64),
    cpk            Nullable(Float64),
    pp             Nullable(Float64),
    ppk            Nullable(Float64),
    cpm            Nullable(Float64)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (source, machine_id, item, recipe_id);
