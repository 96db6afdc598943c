"""Sensor readings in vectorised blocks: setpoint (per recipe) + drift + wear + AR(1) noise,
shaped by the machine's state, temperature excursions and injected spikes.

Noise comes from one seeded series per (machine, metric, UTC hour), so a reading's value
depends only on the seed, its instant and the model's history - not on how time is cut into
blocks: a backfill, its re-run, and a live run ticking at any pace give identical readings.
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
    return np.arange(_k(a, rate_hz), _k(b, rate_hz), dtype=np.float64) / rate_hz


def _k(t: float, rate_hz: float) -> int:
    return math.ceil(round(t * rate_hz, 6))


def _noise(
    model: FabModel,
    m: Machine,
    metric_no: int,
    a: float,
    b: float,
    rate_hz: float,
) -> np.ndarray:
    """Unit AR(1) noise on the sample grid of [a, b), cut from per-hour seeded series."""
    cache: dict = model.__dict__.setdefault("_noise_cache", {})
    ka, kb = _k(a, rate_hz), _k(b, rate_hz)
    parts = []
    for hour in range(math.floor(a / 3600), math.ceil(b / 3600)):
        kh0, kh1 = _k(hour * 3600.0, rate_hz), _k((hour + 1) * 3600.0, rate_hz)
        lo, hi = max(ka, kh0), min(kb, kh1)
        if hi <= lo:
            continue
        key = (m.index, metric_no, hour, rate_hz)
        series = cache.get(key)
        if series is None:
            if len(cache) > 64 * len(model.machines):
                cache.clear()
            rng = np.random.default_rng(
                [model.seed, 1, m.index, metric_no, hour, int(round(rate_hz * 1e6))]
            )
            z = rng.standard_normal(kh1 - kh0)
            zi = [AR_PHI * rng.standard_normal()]
            series = lfilter([math.sqrt(1 - AR_PHI**2)], [1.0, -AR_PHI], z, zi=zi)[0]
            if kh1 - kh0 < 100_000:  # live ticks reuse the hour; backfill blocks do not
                cache[key] = series
        parts.append(series[lo - kh0 : hi - kh0])
    return np.concatenate(parts) if parts else np.empty(0)


def machine_block(
    model: FabModel, m: Machine, a: float, b: float, rate_hz: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(times, {metric: values}) for one machine over [a, b)."""
    ts = sample_times(a, b, rate_hz)
    spec = model.types[m.type]
    if ts.size == 0:
        return ts, {metric: np.empty(0) for metric in spec.sensors}
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
    for metric_no, (metric, sensor) in enumerate(spec.sensors.items()):
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
        noise = _noise(model, m, metric_no, a, b, rate_hz)
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
