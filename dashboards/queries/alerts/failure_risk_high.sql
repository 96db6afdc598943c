-- Each machine's latest failure-risk score: 1 when its band is HIGH (probability > 0.7), else 0.
SELECT machine_id AS machine, toUInt8(argMax(band, day) = 'HIGH') AS high_risk
FROM fab.fact_failure_risk
WHERE day >= toDate($__fromTime) AND day <= toDate($__toTime)
GROUP BY machine_id
