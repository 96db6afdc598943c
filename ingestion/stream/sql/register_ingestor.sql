-- The ingestor's status row exists before its first batch commits (the counters grow in it).
INSERT INTO landing.ingest_status (ingestor, source, started_at, updated_at, connected)
VALUES (%(ingestor)s, %(source)s, now(), now(), false)
ON CONFLICT (ingestor) DO NOTHING
