-- Interlocks, quarantined lots and alarms in the time range (one row, zeros when quiet).
SELECT
    (SELECT count(*) FROM landing.interlock_event
      WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})) AS "Interlocks",
    (SELECT count(DISTINCT lot_id) FROM landing.quarantine_log
      WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})) AS "Quarantined lots",
    (SELECT count(*) FROM landing.alarm
      WHERE $__timeFilter(ts) AND machine_id IN (${machine:singlequote})) AS "Alarms"
