"""Monte Carlo inputs from a plant file (priors) and from history (fitted)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np

from assets.forecasting.fit import fit_mtbf_mttr, fit_truncnorm
from assets.forecasting.montecarlo import MachineModel
from ingestion.plant import PlantSpec

PRIOR_EFFICIENCY_SIGMA = 0.03


def scheduled_hours_per_day(plant: PlantSpec) -> float:
    """Shift time minus breaks per day (shifts repeat daily)."""
    minutes = sum(s.duration_min - sum(b.duration_min for b in s.breaks) for s in plant.shifts)
    return min(minutes, 1440) / 60


def visits_per_wafer(plant: PlantSpec) -> dict[str, float]:
    """Route steps per wafer in each area, for an even product mix."""
    area_of_type: dict[str, str] = {}
    for m in plant.machines:
        area_of_type.setdefault(m.type, m.area)
    visits: dict[str, float] = defaultdict(float)
    for p in plant.products:
        for step in p.route:
            visits[area_of_type[step.machine_type]] += 1 / len(plant.products)
    return dict(visits)


def mix_cycle_time_s(plant: PlantSpec) -> dict[str, float]:
    """Per machine type, the recipe seconds per wafer averaged over the routes' steps."""
    recipes = {r.id: r for r in plant.recipes}
    times: dict[str, list[float]] = defaultdict(list)
    for p in plant.products:
        for step in p.route:
            times[step.machine_type].append(recipes[step.recipe].process_time_s)
    return {t: float(np.mean(v)) for t, v in times.items()}


def machine_models_from_plant(plant: PlantSpec) -> list[MachineModel]:
    hours = scheduled_hours_per_day(plant)
    cycle = mix_cycle_time_s(plant)
    out = []
    for m in plant.machines:
        t = plant.machine_types[m.type]
        pm = (t.pm_duration_min / 60 / t.pm_every_days) if t.pm_every_days else 0.0
        out.append(
            MachineModel(
                m.id,
                m.area,
                cycle.get(m.type, t.ideal_cycle_time_s),
                m.efficiency,
                PRIOR_EFFICIENCY_SIGMA,
                t.mtbf_h,
                t.mttr_h,
                hours,
                pm,
            )
        )
    return out


def fit_on_history(
    models: list[MachineModel],
    efficiency: dict[str, np.ndarray],
    up_hours: dict[str, float],
    repairs_h: dict[str, np.ndarray],
) -> list[MachineModel]:
    """Replace the priors with fits where history exists (efficiency, MTBF, MTTR per machine)."""
    out = []
    for m in models:
        mu, sigma = fit_truncnorm(
            efficiency.get(m.machine_id, np.array([])),
            m.eff_lo,
            m.eff_hi,
            prior=(m.eff_mu, m.eff_sigma),
        )
        mtbf, mttr = (
            fit_mtbf_mttr(
                up_hours[m.machine_id], repairs_h.get(m.machine_id, []), prior=(m.mtbf_h, m.mttr_h)
            )
            if up_hours.get(m.machine_id)
            else (m.mtbf_h, m.mttr_h)
        )
        out.append(replace(m, eff_mu=mu, eff_sigma=sigma, mtbf_h=mtbf, mttr_h=mttr))
    return out
