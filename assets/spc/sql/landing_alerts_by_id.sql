SELECT id, kind, severity, machine_id, subject, event_ts FROM landing.alert
WHERE id = ANY(%(ids)s) ORDER BY id
