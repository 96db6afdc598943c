"""Monte Carlo capacity forecast: machines x days x simulations in numpy, seeded.

Per machine and day: scheduled hours (shift time minus breaks and planned maintenance); failures
~ Poisson(scheduled / MTBF), each repaired in Exp(MTTR) (their sum ~ Gamma(failures, MTTR)),
capped at the scheduled time; efficiency ~ truncated normal; output in wafers
= (scheduled - repair) h x 3600 / cycle time x efficiency. An area's output is the sum of its
machines; the line's output is the tightest area divided by the visits a wafer makes there,
optionally capped by the wafers released (demand). The bottleneck is the area that sets the
line's output, counted per simulation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from fabstack.errors import FabError

PERCENTILES = (5, 10, 50, 90, 95, 99)
FAN_PERCENTILES = (10, 25, 50, 75, 90)  # the fan chart's bands: P10-P90, P25-P75, median


@dataclass(frozen=True)
class MachineModel:
    machine_id: str
    area_id: str
    cycle_time_s: float  # seconds per wafer at efficiency 1 (mix-weighted recipe time)
    eff_mu: float
    eff_sigma: float
    mtbf_h: float
    mttr_h: float
    scheduled_h_per_day: float = 21.0  # shift time minus breaks
    pm_h_per_day: float = 0.0  # planned maintenance, averaged per day
    eff_lo: float = 0.3
    eff_hi: float = 1.2


@dataclass(frozen=True)
class Scenario:
    name: str
    add_machine_like: str | None = None  # clone this machine (e.g. one in the bottleneck area)
    efficiency_pct: float = 0.0  # +x % efficiency (all machines, or `area`)
    downtime_pct: float = 0.0  # -y % repair time
    area: str | None = None


def _params(machines: list[MachineModel]) -> dict[str, np.ndarray]:
    if not machines:
        raise FabError("capacity forecast: no machines")
    f = np.array
    return {
        "cycle": f([m.cycle_time_s for m in machines]),
        "mu": f([m.eff_mu for m in machines]),
        "sigma": f([max(m.eff_sigma, 1e-6) for m in machines]),
        "lo": f([m.eff_lo for m in machines]),
        "hi": f([m.eff_hi for m in machines]),
        "mtbf": f([m.mtbf_h for m in machines]),
        "mttr": f([m.mttr_h for m in machines]),
        "hours": f([max(m.scheduled_h_per_day - m.pm_h_per_day, 0.0) for m in machines]),
    }


def _truncnorm(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    mu: np.ndarray,
    sigma: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Truncated normal per machine (last axis): normal draws, out-of-bound ones drawn again
    (exact). Bounds must keep at least 1 % of the normal's mass, else the redraw loop would
    crawl: such a fit is rejected as bad input."""
    accept = 0.5 * (
        np.vectorize(math.erf)((hi - mu) / (sigma * math.sqrt(2)))
        - np.vectorize(math.erf)((lo - mu) / (sigma * math.sqrt(2)))
    )
    if np.min(accept) < 0.01:
        j = int(np.argmin(accept))
        raise FabError(
            f"efficiency model of machine #{j}: mean {mu[j]:.3f} sd {sigma[j]:.3f} "
            f"lies outside its bounds [{lo[j]}, {hi[j]}]"
        )
    x = mu + sigma * rng.standard_normal(shape, dtype=np.float32)
    bad = (x < lo) | (x > hi)
    while bad.any():
        x[bad] = (mu + sigma * rng.standard_normal(shape, dtype=np.float32))[bad]
        bad = (x < lo) | (x > hi)
    return x


def _poisson_small(
    rng: np.random.Generator, shape: tuple[int, ...], lam: np.ndarray, terms: int = 4
) -> np.ndarray:
    """Poisson counts by inverse CDF (exact): a few threshold passes cover almost every draw;
    the rare rest continues the inversion on its own small subset."""
    u = rng.random(shape, dtype=np.float32)
    k = np.zeros(shape, dtype=np.int16)
    pmf = np.exp(-lam)
    cdf = pmf.copy()
    for j in range(1, terms + 1):
        k += u > cdf.astype(np.float32)
        pmf = pmf * lam / j
        cdf = cdf + pmf
    tail = np.flatnonzero(u > cdf.astype(np.float32))
    if len(tail):
        u_t = u.ravel()[tail].astype(np.float64)
        lam_t = np.broadcast_to(lam, shape).ravel()[tail]
        p = np.broadcast_to(pmf, shape).ravel()[tail].copy()
        c = np.broadcast_to(cdf, shape).ravel()[tail].copy()
        j = np.full(len(tail), terms, dtype=np.int64)
        while (more := u_t > c).any():
            j[more] += 1
            p[more] *= lam_t[more] / j[more]
            c[more] += p[more]
        k.ravel()[tail] = j
    return k


def _simulate_chunks(
    machines: list[MachineModel], days: int, sims: int, seed: int, chunk: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Per chunk of simulations: (first simulation, efficiency (k, days, machines), flat
    indexes of the (simulation, day, machine) cells with a failure, repair hours there)."""
    p = _params(machines)
    rng = np.random.default_rng(seed)
    n = len(machines)
    lam = p["hours"] / p["mtbf"]
    f32 = {k: v.astype(np.float32) for k, v in p.items()}
    for s0 in range(0, sims, chunk):
        k = min(chunk, sims - s0)
        shape = (k, days, n)
        eff = _truncnorm(rng, shape, f32["mu"], f32["sigma"], f32["lo"], f32["hi"])
        failures = _poisson_small(rng, shape, lam)
        hit = np.flatnonzero(failures)
        count = failures.ravel()[hit]
        machine = hit % n
        repair = rng.standard_exponential(len(hit), dtype=np.float32).astype(np.float64)
        several = count > 1  # sum of several exponential repairs: a gamma
        repair[several] = rng.gamma(count[several], 1.0)
        repair = np.minimum(repair * p["mttr"][machine], p["hours"][machine])
        yield s0, eff, hit, repair


def simulate_machine_output(
    machines: list[MachineModel],
    days: int = 30,
    sims: int = 10_000,
    seed: int = 0,
    chunk: int = 1_000,
) -> np.ndarray:
    """(sims, machines) total wafers over ``days``; chunked over simulations to stay in cache.

    Output = rate x (hours x sum of daily efficiency - sum over failure days of efficiency x
    repair), so the repair work touches only the quarter of days that have a failure."""
    return simulate_output(machines, days, sims, seed, chunk)[0]


def simulate_output(
    machines: list[MachineModel],
    days: int = 30,
    sims: int = 10_000,
    seed: int = 0,
    chunk: int = 1_000,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(sims, machines) totals as `simulate_machine_output`, and with ``groups`` (a group
    index per machine, e.g. its area) the cumulative output of each group by the end of each
    day, (sims, days, groups): the same draws, so the last day equals the groups' totals."""
    p = _params(machines)
    n = len(machines)
    rate = 3600.0 / p["cycle"]
    out = np.empty((sims, n))
    cumulative = None
    if groups is not None:
        one_hot = np.zeros((n, int(groups.max()) + 1))
        one_hot[np.arange(n), groups] = rate  # wafers per productive hour, summed per group
        cumulative = np.empty((sims, days, one_hot.shape[1]))
    for s0, eff, hit, repair in _simulate_chunks(machines, days, sims, seed, chunk):
        k = eff.shape[0]
        lost_work = eff.ravel()[hit] * repair
        lost = np.bincount(
            (hit // (days * n)) * n + hit % n, weights=lost_work, minlength=k * n
        ).reshape(k, n)
        out[s0 : s0 + k] = (p["hours"] * eff.sum(axis=1, dtype=np.float64) - lost) * rate
        if cumulative is not None:
            lost_daily = np.bincount(hit, weights=lost_work, minlength=k * days * n)
            daily = p["hours"] * eff - lost_daily.reshape(k, days, n)  # productive hours
            np.cumsum(daily @ one_hot, axis=1, out=cumulative[s0 : s0 + k])
    return out, cumulative


def simulate_machine_output_loop(
    machines: list[MachineModel], days: int, sims: int, seed: int = 0
) -> np.ndarray:
    """The same model as plain Python loops (random module): the speed-up reference."""
    rnd = random.Random(seed)
    out = np.empty((sims, len(machines)))
    for s in range(sims):
        for j, m in enumerate(machines):
            hours = max(m.scheduled_h_per_day - m.pm_h_per_day, 0.0)
            lam = hours / m.mtbf_h
            total = 0.0
            for _ in range(days):
                while True:  # truncated normal by rejection
                    eff = rnd.gauss(m.eff_mu, max(m.eff_sigma, 1e-6))
                    if m.eff_lo <= eff <= m.eff_hi:
                        break
                # Poisson by Knuth's product of uniforms
                limit, failures, prod = math.exp(-lam), 0, rnd.random()
                while prod > limit:
                    failures += 1
                    prod *= rnd.random()
                repair = rnd.gammavariate(failures, m.mttr_h) if failures else 0.0
                total += max(hours - repair, 0.0) * eff
            out[s, j] = total * 3600.0 / m.cycle_time_s
    return out


def percentiles(x: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    q = np.percentile(x, [*PERCENTILES, 2.5, 97.5], axis=axis)
    out = {f"p{p}": q[i] for i, p in enumerate(PERCENTILES)}
    out["ci95_low"], out["ci95_high"] = q[-2], q[-1]
    out["mean"] = x.mean(axis=axis)
    return out


@dataclass
class CapacityFan:
    """Cumulative output by the end of each day of the horizon (day 1 = the first simulated
    day): per area (wafer passes through the area) and for the line (wafers finishing the
    route), each as {"p10": ..., "p90": ..., "mean": ...} arrays of one value per day."""

    areas: dict[str, dict[str, np.ndarray]]
    line: dict[str, np.ndarray]
    days: int


def fan_percentiles(cumulative: np.ndarray) -> dict[str, np.ndarray]:
    """P10/P25/P50/P75/P90 and mean over the simulations (axis 0) of cumulative output."""
    q = np.percentile(cumulative, FAN_PERCENTILES, axis=0)
    out = {f"p{p}": q[i] for i, p in enumerate(FAN_PERCENTILES)}
    out["mean"] = cumulative.mean(axis=0)
    return out


def _demand_paths(seed: int, sims: int, days: int, per_day: float) -> np.ndarray:
    """(sims, days) cumulative wafers released: the Poisson total of ``forecast_capacity``
    (same seed) spread over the days as a Poisson process (uniform arrivals, a multinomial)."""
    rng = np.random.default_rng(seed + 1)
    total = rng.poisson(per_day * days, sims)
    daily = rng.multinomial(total, np.full(days, 1.0 / days))
    return np.cumsum(daily, axis=1).astype(float)


@dataclass
class CapacityForecast:
    machines: list[dict]  # machine_id, area_id, p5..p99, ci95, mean (wafers over the period)
    areas: list[dict]
    line: dict  # line output percentiles (wafers completing the route)
    bottleneck: dict  # area -> share of simulations where it limits the line
    bottleneck_area: str
    bottleneck_machine: str
    days: int
    sims: int
    seed: int
    line_samples: np.ndarray
    fan: CapacityFan | None = None


def forecast_capacity(
    machines: list[MachineModel],
    visits_per_wafer: dict[str, float],
    *,
    days: int = 30,
    sims: int = 10_000,
    seed: int = 0,
    demand_wafers_per_day: float | None = None,
    fan: bool = False,
) -> CapacityForecast:
    """Capacity per machine, area and line with percentiles and the simulated bottleneck.

    ``visits_per_wafer``: route steps a wafer makes in each area (mix-weighted). With ``fan``,
    also the cumulative output per day of the horizon (`CapacityFan`) from the same draws."""
    if days <= 0 or sims <= 0:
        raise FabError(f"capacity forecast: days and sims must be > 0, got {days}, {sims}")
    areas = sorted({m.area_id for m in machines})
    area_index = np.array([areas.index(m.area_id) for m in machines])
    per_machine, cumulative = simulate_output(
        machines, days, sims, seed, groups=area_index if fan else None
    )
    per_area = np.zeros((sims, len(areas)))
    np.add.at(per_area.T, area_index, per_machine.T)
    visits = np.array([visits_per_wafer.get(a, 0.0) for a in areas])
    routed = visits > 0
    if not routed.any():
        raise FabError("capacity forecast: no area is on any route (visits_per_wafer)")
    line_by_area = np.where(routed, per_area / np.where(routed, visits, 1.0), np.inf)
    line = line_by_area.min(axis=1)
    limiting = line_by_area.argmin(axis=1)
    if demand_wafers_per_day is not None:
        rng = np.random.default_rng(seed + 1)
        demand = rng.poisson(demand_wafers_per_day * days, sims).astype(float)
        limiting = np.where(demand < line, -1, limiting)
        line = np.minimum(line, demand)
    share = {a: float(np.mean(limiting == i)) for i, a in enumerate(areas)}
    if demand_wafers_per_day is not None:
        share["demand"] = float(np.mean(limiting == -1))
    bottleneck_area = max((a for a in areas if visits_per_wafer.get(a)), key=lambda a: share[a])
    # per simulation, the limiting machine: the weakest one of the limiting area
    in_limiting = area_index[None, :] == limiting[:, None]
    weakest_each = np.where(in_limiting, per_machine, np.inf).argmin(axis=1)
    machine_share = np.bincount(weakest_each[limiting >= 0], minlength=len(machines)) / sims
    weakest = (
        int(np.argmax(machine_share))
        if machine_share.any()
        else int(np.argmin(per_machine.mean(axis=0)))
    )
    mp = percentiles(per_machine)
    ap = percentiles(per_area)
    lp = percentiles(line)
    daily = None
    if cumulative is not None:
        # the line by the end of each day: the tightest area so far, capped by the releases
        line_daily = np.where(routed, cumulative / np.where(routed, visits, 1.0), np.inf).min(
            axis=2
        )
        if demand_wafers_per_day is not None:
            line_daily = np.minimum(
                line_daily, _demand_paths(seed, sims, days, demand_wafers_per_day)
            )
        by_area = fan_percentiles(cumulative)
        daily = CapacityFan(
            areas={a: {k: v[:, i] for k, v in by_area.items()} for i, a in enumerate(areas)},
            line=fan_percentiles(line_daily),
            days=days,
        )
    return CapacityForecast(
        machines=[
            {
                "machine_id": m.machine_id,
                "area_id": m.area_id,
                "bottleneck_share": float(machine_share[j]),
                **{k: float(v[j]) for k, v in mp.items()},
            }
            for j, m in enumerate(machines)
        ],
        areas=[
            {
                "area_id": a,
                "visits_per_wafer": float(visits[i]),
                "bottleneck_share": share[a],
                **{k: float(v[i]) for k, v in ap.items()},
            }
            for i, a in enumerate(areas)
        ],
        line={k: float(v) for k, v in lp.items()},
        bottleneck=share,
        bottleneck_area=bottleneck_area,
        bottleneck_machine=machines[weakest].machine_id,
        days=days,
        sims=sims,
        seed=seed,
        line_samples=line,
        fan=daily,
    )


def apply_scenario(machines: list[MachineModel], scenario: Scenario) -> list[MachineModel]:
    out = []
    for m in machines:
        if scenario.area is None or m.area_id == scenario.area:
            m = replace(
                m,
                eff_mu=m.eff_mu * (1 + scenario.efficiency_pct / 100),
                eff_hi=max(m.eff_hi, m.eff_mu * (1 + scenario.efficiency_pct / 100) + 0.05),
                mttr_h=m.mttr_h * (1 - scenario.downtime_pct / 100),
            )
        out.append(m)
    if scenario.add_machine_like:
        like = next((m for m in machines if m.machine_id == scenario.add_machine_like), None)
        if like is None:
            raise FabError(
                f"scenario {scenario.name}: unknown machine {scenario.add_machine_like!r}"
            )
        out.append(replace(like, machine_id=f"{like.machine_id}-NEW"))
    return out


def run_scenarios(
    machines: list[MachineModel],
    visits_per_wafer: dict[str, float],
    scenarios: list[Scenario],
    *,
    days: int = 30,
    sims: int = 10_000,
    seed: int = 0,
    demand_wafers_per_day: float | None = None,
    base: CapacityForecast | None = None,
) -> list[dict]:
    """Each scenario's line output against the base, same seed (common random numbers)."""
    base = base or forecast_capacity(
        machines,
        visits_per_wafer,
        days=days,
        sims=sims,
        seed=seed,
        demand_wafers_per_day=demand_wafers_per_day,
    )
    rows = []
    for sc in scenarios:
        f = forecast_capacity(
            apply_scenario(machines, sc),
            visits_per_wafer,
            days=days,
            sims=sims,
            seed=seed,
            demand_wafers_per_day=demand_wafers_per_day,
        )
        rows.append(
            {
                "scenario": sc.name,
                "p50": f.line["p50"],
                "base_p50": base.line["p50"],
                "improvement_pct": 100
                * (f.line["p50"] - base.line["p50"])
                / max(base.line["p50"], 1e-9),
                "bottleneck_area": f.bottleneck_area,
            }
        )
    return rows
