INSERT INTO landing.alert (kind, severity, machine_id, subject, event_ts, detail, dedupe_key)
VALUES (%(kind)s, %(severity)s, %(machine_id)s, %(subject)s, %(event_ts)s, %(detail)s,
        %(dedupe_key)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key
