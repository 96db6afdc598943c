-- name: upsert_tool_status
INSERT INTO landing.ingest_status AS s (
    ingestor, source, started_at, updated_at, connected, messages_total, rows_total,
    dead_letters_total, link_state, last_message, last_message_at, endpoint)
VALUES (
    %(ingestor)s, 'secsgem', now(), now(), %(connected)s, %(messages_total)s, %(rows_total)s,
    %(dead_letters_total)s, %(link_state)s, %(last_message)s, %(last_message_at)s, %(endpoint)s)
ON CONFLICT (ingestor) DO UPDATE SET
    updated_at = now(), connected = EXCLUDED.connected,
    messages_total = EXCLUDED.messages_total, rows_total = EXCLUDED.rows_total,
    dead_letters_total = EXCLUDED.dead_letters_total, link_state = EXCLUDED.link_state,
    last_message = EXCLUDED.last_message, last_message_at = EXCLUDED.last_message_at,
    endpoint = EXCLUDED.endpoint;
