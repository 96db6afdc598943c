-- In the batch's own transaction: this ingestor's counters grow exactly with what landed.
UPDATE landing.ingest_status
SET rows_total = rows_total + %(rows)s,
    dead_letters_total = dead_letters_total + %(dead_letters)s
WHERE ingestor = %(ingestor)s
