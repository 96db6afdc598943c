-- Machine-state intervals of plant-local day {day:Date} = [{day_start:DateTime64(6, 'UTC')}, {day_end:DateTime64(6, 'UTC')}).
-- Landing holds state EVENTS (a row = the state from ts on); an interval runs to the next event.
-- The state in effect at the day's start is the last event within the lookback. The last
-- interval is cut at {as_of:DateTime64(6, 'UTC')} (the day's end, or now for today). Intervals are split at shift
-- boundaries (fab.dim_shift) so time adds up per shift.
-- Built in a staging table, then swapped in: the day's partition is dropped and the new
-- one attached whole, so a failed build never leaves a half-written day.
TRUNCATE TABLE fab.fact_machine_state__stage;
INSERT INTO fab.fact_machine_state__stage
WITH
    (SELECT groupArray((start_utc, end_utc, shift_date, toString(shift_code)))
     FROM fab.dim_shift
     WHERE start_utc < {day_end:DateTime64(6, 'UTC')} AND end_utc > {day_start:DateTime64(6, 'UTC')}) AS shifts,
    arraySort(arrayDistinct(arrayConcat(
        arrayMap(s -> s.1, shifts), arrayMap(s -> s.2, shifts)))) AS bounds,
    events AS (
        SELECT machine_id, toDateTime64(ts, 3, 'UTC') AS ts, state, reason_code
        FROM postgresql({pg_host:String}, {pg_db:String}, 'machine_state', {pg_user:String}, {pg_password:String}, 'landing')
        WHERE ts >= {lookback_start:DateTime64(6, 'UTC')} AND ts < {day_end:DateTime64(6, 'UTC')}
    ),
    relevant AS (
        SELECT machine_id, ts, state, reason_code FROM events WHERE ts >= {day_start:DateTime64(6, 'UTC')}
        UNION ALL
        SELECT machine_id, max(ts), argMax(state, ts), argMax(reason_code, ts)
        FROM events WHERE ts < {day_start:DateTime64(6, 'UTC')} GROUP BY machine_id
    ),
    chained AS (
        SELECT machine_id, ts, state, reason_code,
               leadInFrame(ts, 1, toDateTime64({as_of:DateTime64(6, 'UTC')}, 3, 'UTC')) OVER (
                   PARTITION BY machine_id ORDER BY ts
                   ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS next_ts,
               count() OVER (PARTITION BY machine_id ORDER BY ts
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) = 1 AS is_last
        FROM relevant
    ),
    clipped AS (
        SELECT machine_id, state, reason_code, is_last,
               greatest(ts, toDateTime64({day_start:DateTime64(6, 'UTC')}, 3, 'UTC')) AS start_ts,
               least(next_ts, toDateTime64({as_of:DateTime64(6, 'UTC')}, 3, 'UTC')) AS end_ts
        FROM chained
        WHERE end_ts > start_ts
    ),
    pieces AS (
        SELECT machine_id, state, reason_code, is_last,
               arrayJoin(arrayZip(
                   arrayPopBack(points), arrayPopFront(points))) AS piece
        FROM (
            SELECT *, arrayConcat([start_ts],
                                  arrayFilter(b -> b > start_ts AND b < end_ts, bounds),
                                  [end_ts]) AS points
            FROM clipped
        )
    )
SELECT day, machine_id, shift_date, shift_code, start_ts, end_ts, duration_s, state,
       reason_code, loss_category, is_open
FROM (
SELECT {day:Date} AS day,
       p.machine_id AS machine_id,
       arrayFirst(s -> s.1 <= piece.1 AND piece.1 < s.2, shifts) AS shift,
       if(shift.4 = '', {day:Date}, shift.3) AS shift_date,
       shift.4 AS shift_code,
       piece.1 AS start_ts,
       piece.2 AS end_ts,
       dateDiff('millisecond', piece.1, piece.2) / 1000.0 AS duration_s,
       p.state AS state, p.reason_code AS reason_code,
       ifNull(r.loss_category, '') AS loss_category,
       p.is_last AND piece.2 = toDateTime64({as_of:DateTime64(6, 'UTC')}, 3, 'UTC') AS is_open
FROM pieces AS p
LEFT JOIN fab.dim_state_reason AS r ON r.reason_code = p.reason_code
)
SETTINGS join_use_nulls = 1;
ALTER TABLE fab.fact_machine_state DROP PARTITION tuple(toYYYYMMDD({day:Date}));
ALTER TABLE fab.fact_machine_state ATTACH PARTITION tuple(toYYYYMMDD({day:Date})) FROM fab.fact_machine_state__stage;
TRUNCATE TABLE fab.fact_machine_state__stage;
