-- Star schema, database `fab`: dimensions. Rebuilt whole from the landing zone's reference
-- tables (small), so they are plain MergeTree tables without partitions.
CREATE DATABASE IF NOT EXISTS fab;

CREATE TABLE IF NOT EXISTS fab.dim_machine (
    machine_id          LowCardinality(String),
    machine_type        LowCardinality(String),
    type_description    String,
    area_id             LowCardinality(String),
    area_name           String,
    line                LowCardinality(String),
    site_id             LowCardinality(String),
    site_name           String,
    timezone            String,
    ideal_cycle_time_s  Float64,
    efficiency          Float64,
    mtbf_h              Float64,
    mttr_h              Float64,
    temperature_max     Nullable(Float64),
    vibration_max       Nullable(Float64)
) ENGINE = MergeTree ORDER BY machine_id;

-- Calendar days in the plant's time zone.
CREATE TABLE IF NOT EXISTS fab.dim_date (
    date          Date,
    year          UInt16,
    quarter       UInt8,
    month         UInt8,
    month_name    LowCardinality(String),
    iso_week      UInt8,
    day_of_week   UInt8,
    day_name      LowCardinality(String),
    is_weekend    UInt8
) ENGINE = MergeTree ORDER BY date;

-- One row per shift instance: the shift that starts on `shift_date` (plant-local) at its
-- local start time. start_utc/end_utc follow the plant's time zone, DST included.
CREATE TABLE IF NOT EXISTS fab.dim_shift (
    site_id        LowCardinality(String),
    shift_date     Date,
    shift_code     LowCardinality(String),
    start_local    String,
    start_utc      DateTime64(3, 'UTC'),
    end_utc        DateTime64(3, 'UTC'),
    duration_min   Float64,
    break_min      Float64,
    planned_min    Float64
) ENGINE = MergeTree ORDER BY (site_id, start_utc);

CREATE TABLE IF NOT EXISTS fab.dim_recipe (
    recipe_id       String,
    machine_type    LowCardinality(String),
    family          LowCardinality(String),
    process_time_s  Float64,
    setpoints       String,
    spec_limits     String DEFAULT '{}'  -- {"param": {"lsl", "usl", "target", "unit"}} (JSON)
) ENGINE = MergeTree ORDER BY recipe_id;

CREATE TABLE IF NOT EXISTS fab.dim_product (
    product_id    String,
    name          String,
    die_area_mm2  Float64,
    route_steps   UInt16
) ENGINE = MergeTree ORDER BY product_id;

-- A lot is the job of the planning issues: one product, up to 25 wafers.
CREATE TABLE IF NOT EXISTS fab.dim_lot (
    lot_id       String,
    product_id   LowCardinality(String),
    wafer_count  UInt8,
    priority     UInt8,
    hot_lot      UInt8,
    release_ts   DateTime64(3, 'UTC'),
    due_ts       DateTime64(3, 'UTC'),
    status       LowCardinality(String)
) ENGINE = MergeTree ORDER BY lot_id;

CREATE TABLE IF NOT EXISTS fab.dim_wafer (
    wafer_id    String,
    lot_id      String,
    slot        UInt8,
    product_id  LowCardinality(String)
) ENGINE = MergeTree ORDER BY wafer_id;

CREATE TABLE IF NOT EXISTS fab.dim_defect_type (
    defect_type  LowCardinality(String),
    name         String,
    severity     UInt8,
    color        String
) ENGINE = MergeTree ORDER BY defect_type;

-- State reason -> OEE loss category (data, not code).
CREATE TABLE IF NOT EXISTS fab.dim_state_reason (
    reason_code    LowCardinality(String),
    state          LowCardinality(String),
    description    String,
    loss_category  LowCardinality(String)
) ENGINE = MergeTree ORDER BY reason_code;
