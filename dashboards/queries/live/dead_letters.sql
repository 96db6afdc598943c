-- The newest dead letters: where they came from and why they were refused.
SELECT received_at AS "Received", source AS "Source", topic AS "Topic",
       split_part(error, ':', 1) AS "Error kind", error AS "Error", left(payload, 200) AS "Payload"
FROM landing.dead_letter
WHERE $__timeFilter(received_at)
ORDER BY received_at DESC
LIMIT 100
