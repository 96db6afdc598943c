-- SECS/GEM ingest (issue 15): one ingest_status row per tool link, with the link's state
-- (connecting, setting up, communicating, down), its last message and the tool's endpoint.
ALTER TABLE landing.ingest_status
    ADD COLUMN link_state text,
    ADD COLUMN last_message text,
    ADD COLUMN last_message_at timestamptz,
    ADD COLUMN endpoint text;
