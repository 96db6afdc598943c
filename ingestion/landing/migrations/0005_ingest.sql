-- Streaming ingestion (issue 4): the operators' live status table and idempotent dead letters.

-- One row per running ingestor, upserted about once a second: what the live board reads.
CREATE TABLE landing.ingest_status (
    ingestor            text PRIMARY KEY,          -- e.g. mqtt:fab-ingest-0, opcua:sim
    source              text NOT NULL,             -- mqtt | opcua
    started_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    connected           boolean NOT NULL,          -- to its broker / server
    messages_total      bigint NOT NULL DEFAULT 0, -- messages (or data changes) received
    rows_total          bigint NOT NULL DEFAULT 0, -- rows newly landed
    dead_letters_total  bigint NOT NULL DEFAULT 0,
    interlocks_total    bigint NOT NULL DEFAULT 0,
    messages_per_s      double precision NOT NULL DEFAULT 0,
    rows_per_s          double precision NOT NULL DEFAULT 0,
    lag_ms              double precision,          -- machine ts -> commit, p50 of recent messages
    lag_p99_ms          double precision,          -- ... and p99
    commit_ms           double precision,          -- first arrival -> commit, last batch
    spool_batches       integer NOT NULL DEFAULT 0,
    spool_bytes         bigint NOT NULL DEFAULT 0,
    spool_fill          double precision NOT NULL DEFAULT 0,  -- 0..1 of the spool bound
    last_error          text
);

-- A re-delivered bad message is kept once: the ingestor fills dedupe_key with a hash of
-- (topic, payload); rows written by other producers may leave it NULL.
ALTER TABLE landing.dead_letter ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX dead_letter_dedupe_key ON landing.dead_letter (dedupe_key)
    WHERE dedupe_key IS NOT NULL;
CREATE INDEX dead_letter_error_kind ON landing.dead_letter (split_part(error, ':', 1));
