-- Worst ingest lag (machine timestamp to commit) among ingestors that reported in the window.
SELECT coalesce(max(lag_ms), 0) AS worst_lag_ms
FROM landing.ingest_status
WHERE updated_at >= $__timeFrom()
