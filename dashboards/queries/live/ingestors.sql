-- One row per ingestor process: is it connected, how fast, how late, how much is spooled.
SELECT ingestor AS "Ingestor", source AS "Source",
       CASE WHEN connected THEN 'connected' ELSE 'disconnected' END AS "Connection",
       updated_at AS "Last report", messages_per_s AS "Messages per second",
       rows_per_s AS "Rows per second", lag_ms AS "Lag", commit_ms AS "Commit time",
       spool_batches AS "Spooled batches", spool_bytes AS "Spool size", spool_fill AS "Spool fill",
       dead_letters_total AS "Dead letters", interlocks_total AS "Interlocks",
       coalesce(last_error, '') AS "Last error"
FROM landing.ingest_status
ORDER BY ingestor
