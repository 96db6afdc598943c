-- Planning (issue 8): each nightly / on-demand plan run with its KPIs, and its schedule slots for
-- the shop floor. A plan is identified by its start minute; re-running the same plan replaces it.
CREATE TABLE landing.plan_run (
    plan_id            text PRIMARY KEY,            -- 'plan-{plan_start yyyymmddThhmmZ}'
    plan_start         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    status             text NOT NULL CHECK (status IN
        ('OPTIMAL', 'FEASIBLE', 'INFEASIBLE', 'UNKNOWN', 'MODEL_INVALID')),
    source             text NOT NULL DEFAULT 'cp-sat',  -- 'greedy' when CP-SAT found nothing in time
    objective          double precision,
    best_bound         double precision,
    gap                double precision,
    makespan_min       integer,
    weighted_tardiness bigint,
    lots               integer NOT NULL,
    operations         integer NOT NULL,
    on_time_lots       integer,
    late_lots          integer,
    bottleneck         text,
    utilisation        jsonb NOT NULL DEFAULT '{}',   -- machine -> busy share of available time
    offending_lots     jsonb NOT NULL DEFAULT '[]',   -- [{lot_id, reason}] left out of the plan
    infeasible_groups  text[] NOT NULL DEFAULT '{}',  -- constraint groups blamed when INFEASIBLE
    time_limit_s       double precision NOT NULL,
    workers            integer NOT NULL,
    frozen_hours       double precision NOT NULL DEFAULT 0,
    warm_start_from    text,
    solve_time_s       double precision NOT NULL
);
CREATE INDEX plan_run_plan_start ON landing.plan_run (plan_start);

CREATE TABLE landing.schedule_slot (
    plan_id     text NOT NULL REFERENCES landing.plan_run ON DELETE CASCADE,
    lot_id      text NOT NULL,
    step_no     integer NOT NULL,
    machine_id  text NOT NULL,
    recipe_id   text NOT NULL,
    start_ts    timestamptz NOT NULL,
    end_ts      timestamptz NOT NULL CHECK (end_ts >= start_ts),
    setup_min   integer NOT NULL DEFAULT 0 CHECK (setup_min >= 0),
    wafers      integer NOT NULL CHECK (wafers >= 0),
    frozen      boolean NOT NULL DEFAULT false,
    due_ts      timestamptz,
    PRIMARY KEY (plan_id, lot_id, step_no)
);
CREATE INDEX schedule_slot_machine ON landing.schedule_slot (machine_id, start_ts);
