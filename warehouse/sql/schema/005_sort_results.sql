-- Wafer sort facts (issue 14): one row per sorted wafer, one per die bin.
CREATE TABLE IF NOT EXISTS fab.fact_wafer_sort (
    day           Date,
    ts            DateTime64(3, 'UTC'),
    wafer_id      String,
    lot_id        String,
    product_id    LowCardinality(String),
    test_program  LowCardinality(String),
    map_rows      UInt16,
    map_cols      UInt16,
    dies          UInt32,
    failed_dies   UInt32,
    die_yield     Float64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (product_id, lot_id, wafer_id);
CREATE TABLE IF NOT EXISTS fab.fact_wafer_sort__stage AS fab.fact_wafer_sort;

CREATE TABLE IF NOT EXISTS fab.fact_die_bin (
    day           Date,
    ts            DateTime64(3, 'UTC'),
    wafer_id      String,
    lot_id        String,
    product_id    LowCardinality(String),
    test_program  LowCardinality(String),
    die_row       UInt16,
    die_col       UInt16,
    bin_code      UInt16,
    passed        UInt8
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(day) ORDER BY (product_id, wafer_id, die_row, die_col);
CREATE TABLE IF NOT EXISTS fab.fact_die_bin__stage AS fab.fact_die_bin;
