-- Interlocks per machine in the alert window; every machine gets a row (0 when quiet).
SELECT m.machine_id AS machine, m.area_id AS area, count(i.ts) AS interlocks
FROM landing.machine AS m
LEFT JOIN landing.interlock_event AS i
       ON i.machine_id = m.machine_id AND $__timeFilter(i.ts)
GROUP BY m.machine_id, m.area_id
