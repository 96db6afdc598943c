-- Busy share of each machine's available time in the plan; the highest is the bottleneck.
SELECT u.key AS "Machine", u.value::float AS "Utilisation"
FROM landing.plan_run AS p
CROSS JOIN LATERAL jsonb_each_text(p.utilisation) AS u
WHERE p.plan_id = '${plan}' AND u.key IN (${machine:singlequote})
ORDER BY u.value::float DESC
