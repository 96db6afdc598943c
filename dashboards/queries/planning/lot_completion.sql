-- Each lot's planned completion against its due time: slack (positive = early) and status.
SELECT s.lot_id AS "Lot", l.priority AS "Priority",
       CASE WHEN l.hot_lot THEN 'hot' ELSE '' END AS "Hot lot",
       min(s.start_ts) AS "Planned start", max(s.end_ts) AS "Planned completion",
       l.due_ts AS "Due",
       extract(epoch FROM (l.due_ts - max(s.end_ts))) AS "Slack",
       CASE WHEN max(s.end_ts) <= l.due_ts THEN 'on time' ELSE 'late' END AS "Plan says"
FROM landing.schedule_slot AS s
JOIN landing.lot AS l ON l.lot_id = s.lot_id
WHERE s.plan_id = '${plan}'
GROUP BY s.lot_id, l.priority, l.hot_lot, l.due_ts
ORDER BY "Slack" ASC
