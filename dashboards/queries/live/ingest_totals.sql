-- Across running ingestors: message rate, worst lag, spool depth (one row, zeros without ingestors).
SELECT
    coalesce(sum(messages_per_s), 0)                          AS "Messages per second",
    coalesce(sum(rows_per_s), 0)                              AS "Rows per second",
    coalesce(max(lag_ms), 0)                                  AS "Worst lag",
    coalesce(sum(spool_batches), 0)                           AS "Spooled batches",
    count(*) FILTER (WHERE connected)                         AS "Ingestors connected",
    count(*) FILTER (WHERE updated_at < now() - interval '30 seconds') AS "Ingestors silent"
FROM landing.ingest_status
