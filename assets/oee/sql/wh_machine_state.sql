-- State intervals overlapping [{start:DateTime64(3, 'UTC')}, {end:DateTime64(3, 'UTC')}) from
-- the warehouse (already split at shift and day boundaries, with loss category).
SELECT machine_id, start_ts, end_ts, state, reason_code, loss_category
FROM fab.fact_machine_state
WHERE day >= {first_day:Date} AND day <= {last_day:Date}
  AND start_ts < {end:DateTime64(3, 'UTC')} AND end_ts > {start:DateTime64(3, 'UTC')}
ORDER BY machine_id, start_ts;
