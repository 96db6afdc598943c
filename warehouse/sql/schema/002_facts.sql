-- Star schema, database `fab`: facts. Every fact carries `day`, the plant-local calendar day
-- it belongs to, and is partitioned by it, so a Dagster daily partition replaces exactly one
-- ClickHouse partition.

-- Machine-state intervals, split at plant-local day and shift boundaries so durations add up
-- per day and per shift. is_open = 1: the last known state, cut at the day's end or "now".
CREATE TABLE IF NOT EXISTS fab.fact_machine_state (
    day            Date,
    machine_id     LowCardinality(String),
    shift_date     Date,
    shift_code     LowCardinality(String),
    start_ts       DateTime64(3, 'UTC'),
    end_ts         DateTime64(3, 'UTC'),
    duration_s     Float64,
    state          LowCardinality(String),
    reason_code    LowCardinality(String),
    loss_category  LowCardinality(String),
    is_open        UInt8
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, start_ts);

-- Sensor readings per machine, metric and UTC minute. Aggregates use good-quality readings
-- (quality = 0, finite); n_bad counts the others. stddev_value is the population standard deviation;
-- mean and stddev come from exact Decimal sums, so a rebuild gives bit-identical rows.
CREATE TABLE IF NOT EXISTS fab.fact_sensor_minute (
    day           Date,
    minute        DateTime('UTC'),
    machine_id    LowCardinality(String),
    metric        LowCardinality(String),
    n             UInt32,
    n_bad         UInt32,
    min_value     Float64,
    max_value     Float64,
    mean_value    Float64,
    stddev_value  Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, metric, minute);

-- Good and scrap wafers per machine and UTC hour (from lot-step track-outs).
CREATE TABLE IF NOT EXISTS fab.fact_production_hourly (
    day                 Date,
    hour                DateTime('UTC'),
    machine_id          LowCardinality(String),
    shift_date          Date,
    shift_code          LowCardinality(String),
    good                UInt64,
    scrap               UInt64,
    total               UInt64,
    events              UInt32,
    ideal_cycle_time_s  Float64,
    ideal_time_s        Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, hour);

CREATE TABLE IF NOT EXISTS fab.fact_inspection (
    day            Date,
    ts             DateTime64(3, 'UTC'),
    inspection_id  String,
    machine_id     LowCardinality(String),
    lot_id         String,
    wafer_id       String,
    product_id     LowCardinality(String),
    step_no        Nullable(Int32),
    defect_count   UInt32
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (machine_id, ts, inspection_id);

CREATE TABLE IF NOT EXISTS fab.fact_defect (
    day            Date,
    ts             DateTime64(3, 'UTC'),
    inspection_id  String,
    defect_no      Int32,
    wafer_id       String,
    lot_id         String,
    machine_id     LowCardinality(String),
    defect_type    LowCardinality(String),
    x_mm           Float64,
    y_mm           Float64,
    radius_mm      Float64,
    size_um        Float64,
    sem_image_ref  Nullable(String)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (defect_type, ts, inspection_id, defect_no);

-- The digital thread: one row per wafer and route step it went through (track-in to
-- track-out), with the tool's sensor summary during the step (from fact_sensor_minute,
-- minute resolution), the wafer's process measurements and what inspection found there.
-- `day` is the plant-local day of the track-out.
CREATE TABLE IF NOT EXISTS fab.fact_wafer_history (
    day             Date,
    wafer_id        String,
    lot_id          String,
    slot            UInt8,
    product_id      LowCardinality(String),
    step_no         Int32,
    machine_id      LowCardinality(String),
    recipe_id       LowCardinality(String),
    track_in_ts     DateTime64(3, 'UTC'),
    track_out_ts    DateTime64(3, 'UTC'),
    duration_s      Float64,
    lot_wafers      UInt32,
    sensor_mean     Map(String, Float64),
    sensor_min      Map(String, Float64),
    sensor_max      Map(String, Float64),
    sensor_n        UInt64,
    measurements    Map(String, Float64),
    inspections     UInt32,
    defect_count    UInt32,
    defect_types    Map(String, UInt32)
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (wafer_id, track_in_ts, step_no);
