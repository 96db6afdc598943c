-- Historian backfill (issue 15): which days an import landed rows for, so the landing-arrival
-- sensor starts those days' runs. One row per landed chunk and stamp (the first and last ts of
-- each UTC day it touched); the sensor counts rows by plant-local day of ts among imports of
-- its look-back window, however old the days themselves are.
CREATE TABLE landing.import_arrival (
    imported_at  timestamptz NOT NULL DEFAULT now(),
    source_file  text NOT NULL,
    table_name   text NOT NULL,
    ts           timestamptz NOT NULL
);
CREATE INDEX import_arrival_imported_at ON landing.import_arrival (imported_at);
