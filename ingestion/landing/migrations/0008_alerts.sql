-- Alerts raised by the OEE/SPC alert sensor (issue 6): a new violation of Western Electric
-- rules 1-4 on an SPC chart, or a shift whose OEE fell below the plant target. dedupe_key makes
-- a re-evaluation harmless: the same violation or shift is alerted once.
CREATE TABLE landing.alert (
    id               bigserial PRIMARY KEY,
    raised_at        timestamptz NOT NULL DEFAULT now(),
    kind             text NOT NULL CHECK (kind IN ('spc', 'oee')),
    severity         smallint NOT NULL CHECK (severity BETWEEN 1 AND 5),
    machine_id       text NOT NULL,
    subject          text NOT NULL,
    event_ts         timestamptz NOT NULL,
    detail           jsonb NOT NULL DEFAULT '{}',
    dedupe_key       text NOT NULL UNIQUE,
    run_id           text,
    acknowledged_at  timestamptz
);
CREATE INDEX alert_raised_at ON landing.alert (raised_at);
