"""A small synthetic plant for unit tests and benchmarks: wear-out failures with precursors.

Each wear-out failure is preceded by ``precursor_h`` hours over which temperature and vibration
rise by ``wear_gain`` x wear (wear 0 -> 1), as in the plant file; electrical failures come
without warning. Deterministic given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from assets.maintenance.features import MaintenanceInputs, hourly_aggregates
from ingestion.plant import PlantSpec, load_plant


@dataclass
class SyntheticPlant:
    inputs: MaintenanceInputs
    readings: pl.DataFrame  # machine_id, ts, metric, value
    truth: pl.DataFrame  # machine_id, precursor_start, failure_ts, reason_code


def _machine_events(
    rng: np.random.Generator,
    start: float,
    end: float,
    mean_wear_days: float,
    mean_electrical_days: float,
    mttr_h: float,
    pm_every_days: float | None,
) -> tuple[list[tuple[float, str, str]], list[tuple[float, str]]]:
    """Event times in hours from ``start``: (t, state, reason) and the failures (t, reason)."""
    failures: list[tuple[float, str]] = []
    t = start + rng.exponential(mean_wear_days * 24) + 72
    while t < end:
        failures.append((t, "WEAR_OUT"))
        t += mttr_h + 96 + rng.exponential(mean_wear_days * 24)
    t = start + rng.exponential(mean_electrical_days * 24)
    while t < end:
        failures.append((t, "ELECTRICAL"))
        t += rng.exponential(mean_electrical_days * 24)
    failures.sort()
    events: list[tuple[float, str, str]] = [(start, "RUNNING", "RUN")]
    for ft, reason in failures:
        events.append((ft, "DOWN", reason))
        events.append((ft + mttr_h, "RUNNING", "RUN"))
    if pm_every_days:
        pm = start + pm_every_days * 24 * rng.uniform(0.2, 1.0)
        while pm < end:
            if all(abs(pm - ft) > mttr_h + 2 for ft, _ in failures):
                events.append((pm, "MAINTENANCE", "PM"))
                events.append((pm + 2, "RUNNING", "RUN"))
            pm += pm_every_days * 24
    events.sort()
    return events, failures


def make_plant(
    *,
    days: int = 60,
    machines: int = 6,
    seed: int = 7,
    sample_min: int = 10,
    precursor_h: float = 72.0,
    mean_wear_days: float = 12.0,
    mean_electrical_days: float = 60.0,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    plant: PlantSpec | None = None,
) -> SyntheticPlant:
    """A plant of the first ``machines`` machines of the demo plant over ``days`` days."""
    plant = plant or load_plant("demo")
    rng = np.random.default_rng(seed)
    total_h = days * 24.0
    times_h = np.arange(0, total_h, sample_min / 60.0)
    ts = [start + timedelta(hours=float(h)) for h in times_h]
    readings, states, truth, limits, machine_rows, alarms = [], [], [], [], [], []
    for spec in plant.machines[:machines]:
        mtype = plant.machine_types[spec.type]
        events, failures = _machine_events(
            rng,
            0.0,
            total_h,
            mean_wear_days,
            mean_electrical_days,
            mtype.mttr_h,
            mtype.pm_every_days,
        )
        machine_rows.append({"machine_id": spec.id, "machine_type": spec.type})
        wear = np.zeros_like(times_h)
        for ft, reason in failures:
            if reason != "WEAR_OUT":
                continue
            onset = ft - precursor_h
            inside = (times_h >= onset) & (times_h < ft)
            wear[inside] = ((times_h[inside] - onset) / precursor_h) ** 1.5
            truth.append(
                {
                    "machine_id": spec.id,
                    "precursor_start": start + timedelta(hours=onset),
                    "failure_ts": start + timedelta(hours=ft),
                    "reason_code": reason,
                }
            )
        for metric, sensor in mtype.sensors.items():
            values = (
                sensor.setpoint
                + rng.normal(0.0, sensor.noise, size=times_h.size)
                + sensor.wear_gain * wear
                + sensor.drift_per_day * times_h / 24.0
            )
            readings.append(
                pl.DataFrame(
                    {
                        "machine_id": [spec.id] * len(ts),
                        "ts": ts,
                        "metric": [metric] * len(ts),
                        "value": values,
                    }
                )
            )
            limits.append(
                {
                    "machine_id": spec.id,
                    "metric": metric,
                    "setpoint": sensor.setpoint,
                    "min_value": sensor.min,
                    "max_value": sensor.max,
                }
            )
            if sensor.max is not None:
                hot = times_h[values > sensor.setpoint + 0.8 * (sensor.max - sensor.setpoint)]
                alarms.extend(
                    {"machine_id": spec.id, "ts": start + timedelta(hours=float(h))}
                    for h in hot[::6]
                )
        states.extend(
            {"machine_id": spec.id, "ts": start + timedelta(hours=t), "state": s, "reason_code": r}
            for t, s, r in events
        )
    readings_frame = pl.concat(readings).with_columns(pl.col("ts").dt.cast_time_unit("us"))
    states_frame = pl.DataFrame(states).with_columns(pl.col("ts").dt.cast_time_unit("us"))
    alarm_frame = (
        pl.DataFrame(alarms, schema={"machine_id": pl.String, "ts": pl.Datetime("us", "UTC")})
        .group_by("machine_id", pl.col("ts").dt.date().alias("day"))
        .agg(alarm_count=pl.len().cast(pl.Int64))
    )
    from assets.maintenance.labels import daily_state_hours, state_intervals

    hours = daily_state_hours(state_intervals(states_frame, start + timedelta(days=days)))
    cycle_s = {m.id: plant.machine_types[m.type].ideal_cycle_time_s for m in plant.machines}
    counts = hours.select(
        "machine_id",
        "day",
        cycles=(
            pl.col("running_h")
            * 3600.0
            / pl.col("machine_id").replace_strict(cycle_s, return_dtype=pl.Float64)
        )
        .round(0)
        .cast(pl.Int64),
    )
    inputs = MaintenanceInputs(
        machines=pl.DataFrame(machine_rows),
        limits=pl.DataFrame(limits),
        sensor_hourly=hourly_aggregates(readings_frame),
        states=states_frame,
        counts=counts,
        alarms=alarm_frame,
    )
    truth_frame = pl.DataFrame(
        truth,
        schema={
            "machine_id": pl.String,
            "precursor_start": pl.Datetime("us", "UTC"),
            "failure_ts": pl.Datetime("us", "UTC"),
            "reason_code": pl.String,
        },
    )
    return SyntheticPlant(inputs=inputs, readings=readings_frame, truth=truth_frame)
