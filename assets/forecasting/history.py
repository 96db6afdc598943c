"""Monte Carlo inputs from the landing zone: machines with priors, fitted on history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import psycopg

from assets.forecasting.inputs import fit_on_history
from assets.forecasting.montecarlo import MachineModel
from assets.forecasting.on_time import OnTimeForecast, PlannedOp, forecast_on_time
from assets.forecasting.sql import q
from fabstack.errors import FabError

UP_STATES = {"RUNNING", "IDLE", "SETUP"}


@dataclass
class ForecastInputs:
    machines: list[MachineModel]
    visits_per_wafer: dict[str, float]
    daily_output: list[tuple]  # (local day, wafers finished)
    efficiency_samples: int
    failures_seen: int
    timezone: str


def load_forecast_inputs(
    conn: psycopg.Connection, until: datetime, lookback_days: int = 30
) -> ForecastInputs:
    since = until - timedelta(days=lookback_days)
    with conn.cursor() as cur:
        site = cur.execute(q("site")).fetchone()
        if site is None:
            raise FabError("landing zone has no site: run `fab db seed`")
        site_id, tz = site
        minutes = cur.execute(q("scheduled_minutes_per_day"), {"site": site_id}).fetchone()[0]
        hours = float(minutes or 1440) / 60
        priors = [
            MachineModel(
                r[0], r[1], float(r[7] or r[6]), float(r[3]), 0.03, float(r[4]), float(r[5]), hours
            )
            for r in cur.execute(q("machines"))
        ]
        visits = {a: float(v) for a, v in cur.execute(q("visits_per_wafer"))}
        eff: dict[str, list[float]] = defaultdict(list)
        for machine, value in cur.execute(q("run_efficiency"), {"from": since, "to": until}):
            eff[machine].append(float(value))
        up: dict[str, float] = defaultdict(float)
        repairs: dict[str, list[float]] = defaultdict(list)
        for machine, category, state, h in cur.execute(
            q("state_durations"), {"from": since, "to": until}
        ):
            if state in UP_STATES:
                up[machine] += float(h)
            elif category == "breakdown":
                repairs[machine].append(float(h))
        daily = list(cur.execute(q("daily_output"), {"from": since, "to": until, "tz": tz}))
    models = fit_on_history(
        priors,
        {k: np.array(v) for k, v in eff.items()},
        dict(up),
        {k: np.array(v) for k, v in repairs.items()},
    )
    return ForecastInputs(
        models, visits, daily, sum(map(len, eff.values())), sum(map(len, repairs.values())), tz
    )


@dataclass(frozen=True)
class PlanOnTime:
    plan_id: str
    plan_start: datetime
    forecast: OnTimeForecast


def forecast_latest_plan(
    conn: psycopg.Connection,
    now: datetime,
    *,
    duration_cv: float = 0.08,
    sims: int = 1_000,
    seed: int = 0,
) -> PlanOnTime | None:
    """The latest feasible plan made by ``now``, executed ``sims`` times under random durations
    and the fitted breakdowns: each lot's chance of meeting its due date. None without a plan."""
    row = conn.execute(q("latest_plan"), {"at": now}).fetchone()
    if row is None:
        return None
    plan_id, start = row
    slots = conn.execute(q("plan_slots"), {"plan_id": plan_id}).fetchall()
    inputs = load_forecast_inputs(conn, now)

    def minutes(t: datetime) -> float:
        return (t - start).total_seconds() / 60

    ops = [PlannedOp(r[0], r[1], r[2], minutes(r[3]), minutes(r[4]), float(r[5])) for r in slots]
    due = {r[0]: minutes(r[6]) for r in slots if r[6] is not None}
    forecast = forecast_on_time(
        ops,
        due,
        mtbf_min={m.machine_id: m.mtbf_h * 60 for m in inputs.machines},
        mttr_min={m.machine_id: m.mttr_h * 60 for m in inputs.machines},
        duration_cv=duration_cv,
        sims=sims,
        seed=seed,
    )
    return PlanOnTime(plan_id, start, forecast)
