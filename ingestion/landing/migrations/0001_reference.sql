-- Reference data: the plant as seeded from a plant file (ingestion/plants/*.yaml).
CREATE TABLE landing.site (
    site_id   text PRIMARY KEY,
    name      text NOT NULL,
    timezone  text NOT NULL
);

CREATE TABLE landing.area (
    area_id  text PRIMARY KEY,
    site_id  text NOT NULL REFERENCES landing.site,
    name     text NOT NULL,
    line     text NOT NULL
);

CREATE TABLE landing.machine_type (
    machine_type        text PRIMARY KEY,
    description         text NOT NULL,
    ideal_cycle_time_s  double precision NOT NULL CHECK (ideal_cycle_time_s > 0),
    mtbf_h              double precision NOT NULL,
    mttr_h              double precision NOT NULL
);

CREATE TABLE landing.machine (
    machine_id          text PRIMARY KEY,
    site_id             text NOT NULL REFERENCES landing.site,
    area_id             text NOT NULL REFERENCES landing.area,
    machine_type        text NOT NULL REFERENCES landing.machine_type,
    ideal_cycle_time_s  double precision NOT NULL CHECK (ideal_cycle_time_s > 0),
    efficiency          double precision NOT NULL,
    temperature_max     double precision,
    vibration_max       double precision
);

-- Per machine and metric: the limits ingestion, data-quality checks and boards use.
CREATE TABLE landing.machine_metric_limit (
    machine_id  text NOT NULL REFERENCES landing.machine,
    metric      text NOT NULL,
    unit        text NOT NULL,
    setpoint    double precision NOT NULL,
    min_value   double precision,
    max_value   double precision,
    PRIMARY KEY (machine_id, metric)
);

CREATE TABLE landing.recipe (
    recipe_id       text PRIMARY KEY,
    machine_type    text NOT NULL REFERENCES landing.machine_type,
    family          text NOT NULL,
    process_time_s  double precision NOT NULL CHECK (process_time_s > 0),
    setpoints       jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE landing.setup_time (
    machine_type  text NOT NULL REFERENCES landing.machine_type,
    from_family   text NOT NULL,
    to_family     text NOT NULL,
    minutes       double precision NOT NULL CHECK (minutes >= 0),
    PRIMARY KEY (machine_type, from_family, to_family)
);

CREATE TABLE landing.product (
    product_id    text PRIMARY KEY,
    name          text NOT NULL,
    die_area_mm2  double precision NOT NULL CHECK (die_area_mm2 > 0)
);

CREATE TABLE landing.route_step (
    product_id    text NOT NULL REFERENCES landing.product,
    step_no       integer NOT NULL CHECK (step_no >= 1),
    machine_type  text NOT NULL REFERENCES landing.machine_type,
    recipe_id     text NOT NULL REFERENCES landing.recipe,
    PRIMARY KEY (product_id, step_no)
);

CREATE TABLE landing.shift_calendar (
    site_id       text NOT NULL REFERENCES landing.site,
    shift_code    text NOT NULL,
    start_local   time NOT NULL,
    duration_min  integer NOT NULL CHECK (duration_min > 0 AND duration_min <= 1440),
    PRIMARY KEY (site_id, shift_code)
);

CREATE TABLE landing.shift_break (
    site_id       text NOT NULL,
    shift_code    text NOT NULL,
    break_no      integer NOT NULL,
    offset_min    integer NOT NULL CHECK (offset_min >= 0),
    duration_min  integer NOT NULL CHECK (duration_min > 0),
    kind          text NOT NULL CHECK (kind IN ('short', 'meal')),
    PRIMARY KEY (site_id, shift_code, break_no),
    FOREIGN KEY (site_id, shift_code) REFERENCES landing.shift_calendar
);

CREATE TABLE landing.calendar_exception (
    site_id     text NOT NULL REFERENCES landing.site,
    machine_id  text REFERENCES landing.machine,
    start_ts    timestamptz NOT NULL,
    end_ts      timestamptz NOT NULL CHECK (end_ts > start_ts),
    kind        text NOT NULL CHECK (kind IN ('holiday', 'shutdown', 'maintenance')),
    note        text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX calendar_exception_key
    ON landing.calendar_exception (site_id, coalesce(machine_id, ''), start_ts, kind);

CREATE TABLE landing.lot (
    lot_id       text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES landing.product,
    wafer_count  integer NOT NULL CHECK (wafer_count BETWEEN 1 AND 25),
    priority     smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    hot_lot      boolean NOT NULL DEFAULT false,
    release_ts   timestamptz NOT NULL,
    due_ts       timestamptz NOT NULL CHECK (due_ts >= release_ts),
    status       text NOT NULL DEFAULT 'released'
);

CREATE TABLE landing.wafer (
    wafer_id  text PRIMARY KEY,
    lot_id    text NOT NULL REFERENCES landing.lot,
    slot      smallint NOT NULL CHECK (slot BETWEEN 1 AND 25),
    UNIQUE (lot_id, slot)
);

CREATE TABLE landing.defect_type (
    defect_type  text PRIMARY KEY,
    name         text NOT NULL,
    severity     smallint NOT NULL CHECK (severity BETWEEN 1 AND 5),
    color        text NOT NULL
);

-- State -> OEE loss category is data, not code (see ingestion/plants/demo.yaml).
CREATE TABLE landing.state_reason (
    reason_code    text PRIMARY KEY,
    state          text NOT NULL CHECK (state IN ('RUNNING', 'IDLE', 'SETUP', 'DOWN', 'MAINTENANCE', 'OFFLINE')),
    description    text NOT NULL,
    loss_category  text NOT NULL CHECK (loss_category IN
        ('run', 'not_scheduled', 'planned_stop', 'breakdown', 'setup_adjustment', 'small_stop', 'idle'))
);
