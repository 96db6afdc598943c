"""Sensor readings in vectorised blocks: setpoint (per recipe) + drift + wear + AR(1) noise,
shaped by the machine's state, temperature excursions and injected spikes.

A block's values depend only on (seed, machine, block start, block end) and the model's
history, so a backfill and its re-run produce identical readings.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from ingestion.simulator.model import FabModel, Machine

AR_PHI = 0.9
# Level while the machine is not processing, as a share of the running level.
IDLE_FACTOR = {"rf_power": 0.0, "gas_flow": 0.05, "power": 0.4, "vibration": 0.6}
SPIKE_SIGMAS = 10.0  # a spike adds 10 noise sigmas + twice the setpoint


def sample_times(a: float, b: float, rate_hz: float) -> np.ndarray:
    """Grid instants k/rate in [a, b), as epoch seconds."""
    k0 = math.ceil(round(a * rate_hz, 6))
    k1 = math.ceil(round(b * rate_hz, 6))
    return np.arange(k0, k1, dtype=np.float64) / rate_hz


def machine_block(
    model: FabModel, m: Machine, a: float, b: float, rate_hz: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(times, {metric: values}) for one machine over [a, b)."""
    ts = sample_times(a, b, rate_hz)
    spec = model.types[m.type]
    if ts.size == 0:
        return ts, {metric: np.empty(0) for metric in spec.sensors}
    rng = np.random.default_rng([model.seed, 1, m.index, int(round(a * 1000)), ts.size])
    # state at each instant: processing (RUN or SMALL_STOP) or not
    times = np.asarray(m.state_times)
    running_codes = np.array([c[0] == "RUNNING" for c in m.state_codes] or [False])
    idx = np.searchsorted(times, ts, side="right") - 1
    running = np.where(idx >= 0, running_codes[np.maximum(idx, 0)], False)
    runs = list(m.runs)
    if m.lot is not None and m.recipe is not None:
        runs.append((m.track_in, math.inf, m.recipe.id))
    runs = [r for r in runs if r[1] > a and r[0] < b]
    out: dict[str, np.ndarray] = {}
    for metric, sensor in spec.sensors.items():
        level = np.full(ts.size, sensor.setpoint)
        for start, end, rid in runs:
            setpoint = model.recipes[rid].setpoints.get(metric)
            if setpoint is not None:
                level[(ts >= start) & (ts < end)] = setpoint
        if sensor.drift_per_day:
            level += sensor.drift_per_day * (ts - model.origin) / 86400.0
        if sensor.wear_gain:
            for c in m.wear:
                if c.failed <= a or c.onset >= b:
                    continue
                mask = (ts >= c.onset) & (ts < c.failed)
                frac = np.clip((ts[mask] - c.onset) / (c.planned - c.onset), 0.0, 1.0)
                level[mask] += sensor.wear_gain * frac**2
        factor = IDLE_FACTOR.get(metric)
        if factor is not None:
            level = np.where(running, level, level * factor)
        z = rng.standard_normal(ts.size)
        zi = [AR_PHI * rng.standard_normal()]
        noise = lfilter([math.sqrt(1 - AR_PHI**2)], [1.0, -AR_PHI], z, zi=zi)[0]
        values = level + sensor.noise * noise
        for exc in m.excursions:
            if exc.metric != metric or exc.start >= b or exc.peak + 10 * exc.tau <= a:
                continue
            rise = (ts >= exc.start) & (ts < exc.peak)
            values[rise] += exc.delta * (ts[rise] - exc.start) / (exc.peak - exc.start)
            fall = (ts >= exc.peak) & (ts < exc.peak + 10 * exc.tau)
            values[fall] += exc.delta * np.exp(-(ts[fall] - exc.peak) / exc.tau)
        for f in model.faults:
            if f.machine == m.id and f.fault == "sensor_spike" and f.start < b and f.end > a:
                spike = SPIKE_SIGMAS * sensor.noise + 2.0 * abs(sensor.setpoint)
                values[(ts >= f.start) & (ts < f.end)] += spike
        out[metric] = np.round(np.maximum(values, 0.0) if factor is not None else values, 4)
    return ts, out
