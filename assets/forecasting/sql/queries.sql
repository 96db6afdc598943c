-- Named queries of the forecasting loader (`-- name: x` sections, driver parameters).

-- name: machines
SELECT m.machine_id, m.area_id, m.machine_type, m.efficiency, t.mtbf_h, t.mttr_h,
       t.ideal_cycle_time_s,
       (SELECT avg(r.process_time_s) FROM landing.route_step s JOIN landing.recipe r USING (recipe_id)
        WHERE s.machine_type = m.machine_type) AS mix_cycle_time_s
FROM landing.machine m JOIN landing.machine_type t USING (machine_type)
ORDER BY m.machine_id;

-- name: scheduled_minutes_per_day
SELECT least(coalesce(sum(c.duration_min), 1440)
             - coalesce((SELECT sum(b.duration_min) FROM landing.shift_break b
                         WHERE b.site_id = %(site)s), 0), 1440) AS minutes
FROM landing.shift_calendar c WHERE c.site_id = %(site)s;

-- name: site
SELECT site_id, timezone FROM landing.site ORDER BY site_id LIMIT 1;

-- name: visits_per_wafer
-- Route steps per wafer in each area, for an even product mix.
SELECT a.area_id, count(*)::float / (SELECT count(DISTINCT product_id) FROM landing.route_step)
       AS visits
FROM landing.route_step s
JOIN LATERAL (SELECT area_id FROM landing.machine m WHERE m.machine_type = s.machine_type
              ORDER BY machine_id LIMIT 1) a ON true
GROUP BY a.area_id;

-- name: run_efficiency
-- One sample per lot step: recipe time of the wafers / time between track-in and track-out.
SELECT o.machine_id, o.wafers * r.process_time_s / extract(epoch FROM o.ts - i.ts) AS efficiency
FROM landing.lot_move o
JOIN landing.lot_move i ON i.lot_id = o.lot_id AND i.step_no = o.step_no
     AND i.event = 'track_in' AND i.ts < o.ts
JOIN landing.recipe r ON r.recipe_id = o.recipe_id
WHERE o.event = 'track_out' AND o.ts >= %(from)s AND o.ts < %(to)s AND o.wafers > 0;

-- name: state_durations
-- Hours per machine in each state and each breakdown's duration (state events -> intervals).
WITH ev AS (
    SELECT s.machine_id, s.state, coalesce(sr.loss_category, '') AS category, s.ts,
           lead(s.ts) OVER (PARTITION BY s.machine_id ORDER BY s.ts) AS next_ts
    FROM landing.machine_state s LEFT JOIN landing.state_reason sr USING (reason_code)
    WHERE s.ts >= %(from)s AND s.ts < %(to)s
)
SELECT machine_id, category, state,
       extract(epoch FROM coalesce(next_ts, %(to)s) - ts) / 3600.0 AS hours
FROM ev;

-- name: daily_output
-- Wafers finishing their last route step per plant-local day.
SELECT (o.ts AT TIME ZONE %(tz)s)::date AS day, sum(o.wafers) AS wafers
FROM landing.lot_move o
JOIN landing.lot l USING (lot_id)
WHERE o.event = 'track_out' AND o.ts >= %(from)s AND o.ts < %(to)s
  AND o.step_no = (SELECT max(step_no) FROM landing.route_step s WHERE s.product_id = l.product_id)
GROUP BY 1 ORDER BY 1;

-- name: latest_plan
SELECT plan_id, plan_start FROM landing.plan_run WHERE status IN ('OPTIMAL', 'FEASIBLE')
  AND plan_start <= %(at)s
ORDER BY plan_start DESC, created_at DESC LIMIT 1;

-- name: plan_slots
SELECT lot_id, step_no, machine_id, start_ts, end_ts, setup_min, due_ts
FROM landing.schedule_slot WHERE plan_id = %(plan_id)s;
