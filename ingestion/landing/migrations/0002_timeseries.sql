-- Time series. The day-partition placeholder becomes `PARTITION BY RANGE (ts)` on plain PostgreSQL and
-- nothing under TimescaleDB (0003 turns the tables into hypertables there). Every unique key
-- includes the time column, so a message delivered twice lands once.
CREATE TABLE landing.sensor_reading (
    ts          timestamptz NOT NULL,
    machine_id  text NOT NULL,
    metric      text NOT NULL,
    value       double precision NOT NULL,
    quality     integer NOT NULL DEFAULT 0,  -- OPC UA status code; 0 = Good
    UNIQUE (machine_id, metric, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.machine_state (
    ts           timestamptz NOT NULL,
    machine_id   text NOT NULL,
    state        text NOT NULL CHECK (state IN ('RUNNING', 'IDLE', 'SETUP', 'DOWN', 'MAINTENANCE', 'OFFLINE')),
    reason_code  text NOT NULL,
    seq          bigint,
    UNIQUE (machine_id, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.production_count (
    ts          timestamptz NOT NULL,
    machine_id  text NOT NULL,
    lot_id      text,
    step_no     integer,
    good        integer NOT NULL CHECK (good >= 0),
    scrap       integer NOT NULL CHECK (scrap >= 0),
    seq         bigint,
    UNIQUE (machine_id, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.lot_move (
    ts          timestamptz NOT NULL,
    lot_id      text NOT NULL,
    step_no     integer NOT NULL,
    machine_id  text NOT NULL,
    recipe_id   text NOT NULL,
    event       text NOT NULL CHECK (event IN ('track_in', 'track_out')),
    wafers      integer NOT NULL CHECK (wafers >= 0),
    UNIQUE (lot_id, step_no, event, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.alarm (
    ts          timestamptz NOT NULL,
    machine_id  text NOT NULL,
    alarm_code  text NOT NULL,
    severity    smallint NOT NULL CHECK (severity BETWEEN 1 AND 5),
    message     text NOT NULL DEFAULT '',
    seq         bigint,
    UNIQUE (machine_id, alarm_code, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.process_measurement (
    ts          timestamptz NOT NULL,
    machine_id  text NOT NULL,
    lot_id      text NOT NULL,
    wafer_id    text NOT NULL,
    recipe_id   text NOT NULL,
    parameter   text NOT NULL,
    value       double precision NOT NULL,
    UNIQUE (machine_id, wafer_id, parameter, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.inspection (
    ts             timestamptz NOT NULL,
    inspection_id  text NOT NULL,
    machine_id     text NOT NULL,
    lot_id         text NOT NULL,
    wafer_id       text NOT NULL,
    step_no        integer,
    defect_count   integer NOT NULL CHECK (defect_count >= 0),
    UNIQUE (inspection_id, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.defect (
    ts             timestamptz NOT NULL,
    inspection_id  text NOT NULL,
    defect_no      integer NOT NULL,
    wafer_id       text NOT NULL,
    x_mm           double precision NOT NULL CHECK (x_mm BETWEEN -150 AND 150),
    y_mm           double precision NOT NULL CHECK (y_mm BETWEEN -150 AND 150),
    size_um        double precision NOT NULL CHECK (size_um > 0),
    defect_type    text NOT NULL,
    sem_image_ref  text,
    edx_spectrum   jsonb,
    UNIQUE (inspection_id, defect_no, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.interlock_event (
    ts          timestamptz NOT NULL,
    machine_id  text NOT NULL,
    rule_id     text NOT NULL,
    metric      text NOT NULL,
    value       double precision NOT NULL,
    threshold   double precision NOT NULL,
    action      text NOT NULL DEFAULT 'stop',
    UNIQUE (machine_id, rule_id, ts)
) __PARTITION_BY_DAY__(ts);

CREATE TABLE landing.quarantine_log (
    ts          timestamptz NOT NULL,
    lot_id      text NOT NULL,
    machine_id  text NOT NULL,
    reason      text NOT NULL,
    UNIQUE (lot_id, machine_id, ts)
) __PARTITION_BY_DAY__(ts);

-- Whatever could not be landed, with the reason. Never partitioned away silently.
CREATE TABLE landing.dead_letter (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL,
    topic        text NOT NULL DEFAULT '',
    payload      text NOT NULL,
    error        text NOT NULL
);
CREATE INDEX dead_letter_received_at ON landing.dead_letter (received_at);
