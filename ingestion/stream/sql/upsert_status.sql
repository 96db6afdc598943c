INSERT INTO landing.ingest_status AS s (
    ingestor, source, started_at, updated_at, connected, messages_total, rows_total,
    dead_letters_total, interlocks_total, messages_per_s, rows_per_s, lag_ms, lag_p99_ms, commit_ms,
    spool_batches, spool_bytes, spool_fill, last_error, stalled_since)
VALUES (
    %(ingestor)s, %(source)s, %(started_at)s, now(), %(connected)s, %(messages_total)s,
    %(rows_total)s, %(dead_letters_total)s, %(interlocks_total)s, %(messages_per_s)s,
    %(rows_per_s)s, %(lag_ms)s, %(lag_p99_ms)s, %(commit_ms)s, %(spool_batches)s, %(spool_bytes)s,
    %(spool_fill)s, %(last_error)s, %(stalled_since)s)
-- rows_total and dead_letters_total are not overwritten: they grow with each commit
-- (count_landed.sql), so they count what the tables hold, across restarts.
ON CONFLICT (ingestor) DO UPDATE SET
    source = EXCLUDED.source, started_at = EXCLUDED.started_at, updated_at = now(),
    connected = EXCLUDED.connected, messages_total = EXCLUDED.messages_total,
    interlocks_total = EXCLUDED.interlocks_total, messages_per_s = EXCLUDED.messages_per_s,
    rows_per_s = EXCLUDED.rows_per_s, lag_ms = EXCLUDED.lag_ms,
    lag_p99_ms = EXCLUDED.lag_p99_ms, commit_ms = EXCLUDED.commit_ms,
    spool_batches = EXCLUDED.spool_batches, spool_bytes = EXCLUDED.spool_bytes,
    spool_fill = EXCLUDED.spool_fill, last_error = EXCLUDED.last_error,
    stalled_since = EXCLUDED.stalled_since
