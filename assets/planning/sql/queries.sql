-- Named queries of the planning loader and store (`-- name: x` sections, driver parameters).

-- name: site
SELECT site_id, timezone FROM landing.site ORDER BY site_id LIMIT 1;

-- name: open_lots
-- Lots not finished: every status but the final ones, released before the calendar's end.
SELECT lot_id, product_id, wafer_count, priority, hot_lot, release_ts, due_ts, status
FROM landing.lot
WHERE status NOT IN ('completed', 'shipped', 'scrapped', 'quarantined')
  AND release_ts < %(until)s
ORDER BY lot_id;

-- name: lot_step_events
-- The latest event per lot and step, for progress: done steps and a step on a tool right now.
SELECT DISTINCT ON (m.lot_id, m.step_no) m.lot_id, m.step_no, m.event, m.ts, m.machine_id, m.wafers
FROM landing.lot_move m
JOIN landing.lot l USING (lot_id)
WHERE l.status NOT IN ('completed', 'shipped', 'scrapped', 'quarantined')
ORDER BY m.lot_id, m.step_no, m.ts DESC, m.event DESC;

-- name: machines
SELECT m.machine_id, m.machine_type, m.area_id, m.efficiency,
       coalesce(last_run.family, '') AS current_family,
       coalesce(last_state.state, 'IDLE') AS status
FROM landing.machine m
LEFT JOIN LATERAL (
    SELECT r.family FROM landing.lot_move lm JOIN landing.recipe r USING (recipe_id)
    WHERE lm.machine_id = m.machine_id AND lm.event = 'track_in' AND lm.ts <= %(at)s
    ORDER BY lm.ts DESC LIMIT 1) last_run ON true
LEFT JOIN LATERAL (
    SELECT s.state FROM landing.machine_state s
    WHERE s.machine_id = m.machine_id AND s.ts <= %(at)s
    ORDER BY s.ts DESC LIMIT 1) last_state ON true
ORDER BY m.machine_id;

-- name: recipes
SELECT recipe_id, machine_type, family, process_time_s FROM landing.recipe;

-- name: route_steps
SELECT product_id, step_no, machine_type, recipe_id FROM landing.route_step
ORDER BY product_id, step_no;

-- name: setup_times
SELECT machine_type, from_family, to_family, minutes FROM landing.setup_time;

-- name: shifts
SELECT c.shift_code, c.start_local, c.duration_min,
       coalesce(array_agg(b.offset_min ORDER BY b.offset_min) FILTER (WHERE b.break_no IS NOT NULL),
                '{}') AS break_offsets,
       coalesce(array_agg(b.duration_min ORDER BY b.offset_min) FILTER (WHERE b.break_no IS NOT NULL),
                '{}') AS break_minutes
FROM landing.shift_calendar c
LEFT JOIN landing.shift_break b USING (site_id, shift_code)
WHERE c.site_id = %(site)s
GROUP BY c.shift_code, c.start_local, c.duration_min
ORDER BY c.start_local;

-- name: calendar_exceptions
SELECT start_ts, end_ts, kind, machine_id FROM landing.calendar_exception
WHERE site_id = %(site)s AND end_ts > %(from)s AND start_ts < %(until)s;

-- name: previous_plan
SELECT plan_id FROM landing.plan_run
WHERE status IN ('OPTIMAL', 'FEASIBLE') AND plan_start <= %(at)s AND plan_id <> %(plan_id)s
ORDER BY plan_start DESC LIMIT 1;

-- name: plan_slots
SELECT lot_id, step_no, machine_id, start_ts FROM landing.schedule_slot WHERE plan_id = %(plan_id)s;

-- name: delete_plan
DELETE FROM landing.plan_run WHERE plan_id = %(plan_id)s;

-- name: insert_plan
INSERT INTO landing.plan_run (plan_id, plan_start, status, source, objective, best_bound, gap,
    makespan_min, weighted_tardiness, lots, operations, on_time_lots, late_lots, bottleneck,
    utilisation, offending_lots, infeasible_groups, time_limit_s, workers, frozen_hours,
    warm_start_from, solve_time_s)
VALUES (%(plan_id)s, %(plan_start)s, %(status)s, %(source)s, %(objective)s, %(best_bound)s,
    %(gap)s, %(makespan_min)s, %(weighted_tardiness)s, %(lots)s, %(operations)s,
    %(on_time_lots)s, %(late_lots)s, %(bottleneck)s, %(utilisation)s, %(offending_lots)s,
    %(infeasible_groups)s, %(time_limit_s)s, %(workers)s, %(frozen_hours)s,
    %(warm_start_from)s, %(solve_time_s)s);

-- name: insert_slot
INSERT INTO landing.schedule_slot (plan_id, lot_id, step_no, machine_id, recipe_id, start_ts,
    end_ts, setup_min, wafers, frozen, due_ts)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s);

-- name: latest_plan
SELECT * FROM landing.plan_run ORDER BY plan_start DESC, created_at DESC LIMIT 1;
