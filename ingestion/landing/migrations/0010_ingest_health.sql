-- Issue 18: a flusher that cannot write (database and spool both refusing) says so. Set while
-- the ingestor's current batch can be neither committed nor spooled; NULL when healthy.
ALTER TABLE landing.ingest_status ADD COLUMN stalled_since timestamptz;
