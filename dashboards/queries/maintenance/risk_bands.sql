-- Machines per risk band on the latest scored day of the range.
SELECT b.band AS "Risk band", countIf(r.band = b.band) AS "Machines"
FROM (SELECT arrayJoin(['HIGH', 'MEDIUM', 'LOW']) AS band) AS b
CROSS JOIN (
    SELECT machine_id, argMax(toString(band), day) AS band
    FROM fab.fact_failure_risk
    WHERE machine_id IN (${machine:singlequote}) AND $__dateFilter(day)
    GROUP BY machine_id
) AS r
GROUP BY b.band
ORDER BY indexOf(['HIGH', 'MEDIUM', 'LOW'], b.band)
