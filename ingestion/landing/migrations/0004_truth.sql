-- Simulator ground truth (issue 3): what a simulator run generated, so analytics can be scored.
-- A run is identified by (plant, seed, origin); every truth row carries its run_id.
-- Times are timestamptz; intervals are [start_ts, end_ts).
CREATE SCHEMA IF NOT EXISTS truth;

CREATE TABLE truth.run (
    run_id          text PRIMARY KEY,          -- '{plant}-s{seed}-{origin yyyymmddThhmm}'
    plant           text NOT NULL,
    seed            bigint NOT NULL,
    origin_ts       timestamptz NOT NULL,      -- the simulated history starts here
    start_ts        timestamptz NOT NULL,      -- first instant written by the last call
    end_ts          timestamptz NOT NULL,      -- history is complete up to here
    mode            text NOT NULL CHECK (mode IN ('backfill', 'live')),
    sensor_rate_hz  double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    summary         jsonb NOT NULL DEFAULT '{}'
);

-- True machine states as intervals (landing.machine_state holds the same as change events).
CREATE TABLE truth.state_interval (
    run_id       text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id   text NOT NULL,
    start_ts     timestamptz NOT NULL,
    end_ts       timestamptz NOT NULL CHECK (end_ts > start_ts),
    state        text NOT NULL,
    reason_code  text NOT NULL,
    PRIMARY KEY (run_id, machine_id, start_ts)
);

-- Shift windows of the run (local shift calendar on the UTC line); complete = fully inside it.
CREATE TABLE truth.shift_window (
    run_id      text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    shift_date  date NOT NULL,                 -- local date the shift starts on
    shift_code  text NOT NULL,
    start_ts    timestamptz NOT NULL,
    end_ts      timestamptz NOT NULL,
    complete    boolean NOT NULL,
    PRIMARY KEY (run_id, shift_date, shift_code)
);

-- True good/scrap per machine and shift (a lot step counts in the shift of its track-out);
-- one row per machine and shift window, zero when nothing finished.
CREATE TABLE truth.shift_count (
    run_id      text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id  text NOT NULL,
    shift_date  date NOT NULL,
    shift_code  text NOT NULL,
    good        integer NOT NULL,
    scrap       integer NOT NULL,
    lot_steps   integer NOT NULL,
    PRIMARY KEY (run_id, machine_id, shift_date, shift_code)
);

-- Injected failures. onset_ts: for WEAR_OUT, when the sensor precursors (vibration and
-- temperature rise) begin; for random failures it equals failure_ts (no precursor).
CREATE TABLE truth.failure (
    run_id         text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id     text NOT NULL,
    failure_ts     timestamptz NOT NULL,
    reason_code    text NOT NULL,
    onset_ts       timestamptz NOT NULL,
    repair_end_ts  timestamptz NOT NULL,
    wear_out       boolean NOT NULL,
    PRIMARY KEY (run_id, machine_id, failure_ts)
);

-- Injected mean shifts (a step of magnitude_sigma) and trends (linear to magnitude_sigma at
-- end_ts) of a per-wafer process parameter on one machine. sigma = 1% of the recipe target.
CREATE TABLE truth.spc_shift (
    run_id           text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id       text NOT NULL,
    parameter        text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('shift', 'trend')),
    start_ts         timestamptz NOT NULL,
    end_ts           timestamptz NOT NULL,
    magnitude_sigma  double precision NOT NULL,
    PRIMARY KEY (run_id, machine_id, parameter, start_ts)
);

-- Each wafer map's true spatial signature.
CREATE TABLE truth.wafer_map (
    run_id         text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    inspection_id  text NOT NULL,
    wafer_id       text NOT NULL,
    machine_id     text NOT NULL,
    ts             timestamptz NOT NULL,
    signature      text NOT NULL CHECK (signature IN ('none', 'random', 'center', 'donut',
                       'edge-ring', 'edge-loc', 'loc', 'scratch', 'near-full')),
    defect_count   integer NOT NULL,
    PRIMARY KEY (run_id, inspection_id)
);

-- When a process excursion crossed a safety limit (the noise-free signal crossing threshold).
CREATE TABLE truth.interlock_trigger (
    run_id      text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id  text NOT NULL,
    ts          timestamptz NOT NULL,
    metric      text NOT NULL,
    threshold   double precision NOT NULL,
    rule_id     text NOT NULL,
    PRIMARY KEY (run_id, machine_id, ts)
);

-- Chaos faults injected into a live run.
CREATE TABLE truth.chaos_fault (
    run_id      text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    machine_id  text NOT NULL,
    fault       text NOT NULL,
    start_ts    timestamptz NOT NULL,
    end_ts      timestamptz NOT NULL,
    PRIMARY KEY (run_id, machine_id, fault, start_ts)
);

-- Seconds per machine, shift and OEE loss category (state -> category from landing.state_reason).
CREATE VIEW truth.machine_shift_time AS
SELECT w.run_id, i.machine_id, w.shift_date, w.shift_code, r.loss_category,
       sum(extract(epoch FROM least(i.end_ts, w.end_ts) - greatest(i.start_ts, w.start_ts)))
           ::double precision AS seconds
FROM truth.shift_window w
JOIN truth.state_interval i
  ON i.run_id = w.run_id AND i.start_ts < w.end_ts AND i.end_ts > w.start_ts
JOIN landing.state_reason r ON r.reason_code = i.reason_code
GROUP BY w.run_id, i.machine_id, w.shift_date, w.shift_code, r.loss_category;

-- The OEE the truth implies per machine x shift, by the ARCHITECTURE.md definitions:
-- planned = shift time - planned_stop - not_scheduled; run = run + small_stop;
-- A = run / planned, P = ideal cycle time x (good + scrap) / run, Q = good / (good + scrap).
-- A lot step counts at its track-out, so P of one shift can exceed 1 when the lot started in
-- the shift before; over several shifts it averages out.
CREATE VIEW truth.machine_shift_oee AS
WITH t AS (
    SELECT run_id, machine_id, shift_date, shift_code,
           coalesce(sum(seconds) FILTER (
               WHERE loss_category NOT IN ('planned_stop', 'not_scheduled')), 0) AS planned_s,
           coalesce(sum(seconds) FILTER (WHERE loss_category IN ('run', 'small_stop')), 0)
               AS run_s
    FROM truth.machine_shift_time
    GROUP BY run_id, machine_id, shift_date, shift_code
)
SELECT c.run_id, c.machine_id, c.shift_date, c.shift_code, w.start_ts, w.end_ts, w.complete,
       t.planned_s, t.run_s, c.good, c.scrap,
       t.run_s / nullif(t.planned_s, 0) AS availability,
       m.ideal_cycle_time_s * (c.good + c.scrap) / nullif(t.run_s, 0) AS performance,
       c.good::double precision / nullif(c.good + c.scrap, 0) AS quality,
       (t.run_s / nullif(t.planned_s, 0))
         * (m.ideal_cycle_time_s * (c.good + c.scrap) / nullif(t.run_s, 0))
         * (c.good::double precision / nullif(c.good + c.scrap, 0)) AS oee
FROM truth.shift_count c
JOIN truth.shift_window w USING (run_id, shift_date, shift_code)
JOIN landing.machine m ON m.machine_id = c.machine_id
LEFT JOIN t ON t.run_id = c.run_id AND t.machine_id = c.machine_id
             AND t.shift_date = c.shift_date AND t.shift_code = c.shift_code;
