"""A plant's planning input without a database: lots spread over their routes, from a plant file.

Used by tests and benchmarks (and by the demo before any lot has moved)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from assets.planning.fab import (
    CalendarException,
    FabData,
    Lot,
    Machine,
    Recipe,
    RouteStep,
    Shift,
)
from ingestion.plant import PlantSpec


def fab_data_from_plant(
    plant: PlantSpec, lots: list[Lot], plan_start: datetime, calendar_days: int = 30
) -> FabData:
    return FabData(
        plan_start=plan_start,
        timezone=plant.site.timezone,
        lots=lots,
        machines=[Machine(m.id, m.type, m.area, m.efficiency) for m in plant.machines],
        recipes={
            r.id: Recipe(r.id, r.machine_type, r.family, r.process_time_s) for r in plant.recipes
        },
        routes={
            p.id: [RouteStep(i, s.machine_type, s.recipe) for i, s in enumerate(p.route, 1)]
            for p in plant.products
        },
        setup_minutes={
            (s.machine_type, s.from_family, s.to_family): s.minutes for s in plant.setup_times
        },
        shifts=[
            Shift(
                s.code,
                s.start,
                s.duration_min,
                tuple((b.offset_min, b.duration_min) for b in s.breaks),
            )
            for s in plant.shifts
        ],
        exceptions=[
            CalendarException(e.start, e.end, e.kind, e.machine) for e in plant.calendar_exceptions
        ],
        calendar_days=calendar_days,
    )


def synthetic_lots(
    plant: PlantSpec,
    n_lots: int,
    plan_start: datetime,
    *,
    seed: int = 0,
    due_days: tuple[float, float] = (0.5, 3.0),
) -> list[Lot]:
    """Lots in process: random product, next step, size, priority, 5 % hot, due in due_days."""
    rng = np.random.default_rng(seed)
    lots = []
    for i in range(n_lots):
        product = plant.products[int(rng.integers(len(plant.products)))]
        next_step = int(rng.integers(1, len(product.route) + 1))
        release = plan_start - timedelta(hours=float(rng.uniform(0, 48)))
        if i % 10 == 9:  # some lots are released later during the plan
            release = plan_start + timedelta(hours=float(rng.uniform(0, 12)))
        due = plan_start + timedelta(days=float(rng.uniform(*due_days)))
        lots.append(
            Lot(
                lot_id=f"L{i + 1:05d}",
                product_id=product.id,
                wafer_count=int(rng.choice([13, 25, 25, 25])),
                priority=int(rng.choice([1, 2, 3, 3, 3, 4, 5])),
                hot_lot=bool(rng.random() < 0.05),
                release=release,
                due=max(due, release),
                next_step=next_step,
            )
        )
    return lots
