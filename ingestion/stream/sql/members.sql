-- Shared-subscription members (MQTT ingestors) as their status rows show them.

-- name: forget_member
-- A member scaled down with `fab ingest leave`: its row would otherwise read "offline".
DELETE FROM landing.ingest_status WHERE ingestor = %(ingestor)s;

-- name: mqtt_members
-- Each MQTT ingestor with how long since it last reported and whether it was connected.
SELECT ingestor, connected, extract(epoch FROM now() - updated_at)::float8 AS silent_s,
       messages_per_s
FROM landing.ingest_status
WHERE source = 'mqtt'
ORDER BY ingestor;

-- name: member_running
-- A member that reported itself connected in the last seconds is still running.
SELECT count(*) > 0 FROM landing.ingest_status
WHERE ingestor = %(ingestor)s AND connected AND updated_at > now() - make_interval(secs => %(within_s)s);
