"""Load a plant's reference data into the landing zone, idempotently and all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable

import psycopg
from psycopg import sql

from ingestion.plant import DieGridSpec, PlantSpec, RecipeSpec

DIE_GRID_COLUMNS = (
    "die_pitch_x_mm",
    "die_pitch_y_mm",
    "map_rows",
    "map_cols",
    "edge_exclusion_mm",
    "wafer_diameter_mm",
)


def die_grid_row(grid: DieGridSpec | None) -> tuple:
    """A product's die grid as landing.product columns (NULLs where the plant gives none)."""
    if grid is None:
        return (None,) * len(DIE_GRID_COLUMNS)
    return (*grid.die_pitch_mm, *grid.map_shape, grid.edge_exclusion_mm, grid.wafer_diameter_mm)


def _upsert(
    conn: psycopg.Connection,
    table: str,
    key: tuple[str, ...],
    columns: tuple[str, ...],
    rows: Iterable[tuple],
) -> int:
    """Insert or update by primary key; an identical row is left untouched."""
    rows = list(rows)
    if not rows:
        return 0
    others = [c for c in columns if c not in key]
    target = sql.SQL(", ").join(map(sql.Identifier, key))
    if others:
        sets = sql.SQL(", ").join(
            sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in others
        )
        changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
            sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in others),
            sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others),
        )
        action = sql.SQL("DO UPDATE SET {} WHERE {}").format(sets, changed)
    else:
        action = sql.SQL("DO NOTHING")
    query = sql.SQL("INSERT INTO landing.{} AS t ({}) VALUES ({}) ON CONFLICT ({}) {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        target,
        action,
    )
    with conn.cursor() as cur:
        cur.executemany(query, rows)
    return len(rows)


def _spec_limits(recipe: RecipeSpec) -> dict[str, dict]:
    """The recipe's spec limits as stored: the target filled in from the setpoint."""
    return {
        name: {"lsl": s.lsl, "usl": s.usl, "target": recipe.spec_target(name), "unit": s.unit}
        for name, s in recipe.spec_limits.items()
    }


def seed_plant(conn: psycopg.Connection, plant: PlantSpec) -> dict[str, int]:
    """Write the plant's reference tables; returns rows per table. Re-running changes nothing."""
    site = plant.site.id
    counts: dict[str, int] = {}
    with conn.transaction():
        counts["site"] = _upsert(
            conn,
            "site",
            ("site_id",),
            ("site_id", "name", "timezone"),
            [(site, plant.site.name, plant.site.timezone)],
        )
        counts["area"] = _upsert(
            conn,
            "area",
            ("area_id",),
            ("area_id", "site_id", "name", "line"),
            [(a.id, site, a.name, a.line) for a in plant.areas],
        )
        counts["machine_type"] = _upsert(
            conn,
            "machine_type",
            ("machine_type",),
            ("machine_type", "description", "ideal_cycle_time_s", "mtbf_h", "mttr_h"),
            [
                (k, t.description, t.ideal_cycle_time_s, t.mtbf_h, t.mttr_h)
                for k, t in plant.machine_types.items()
            ],
        )
        machines, limits = [], []
        for m in plant.machines:
            mtype = plant.machine_types[m.type]
            temp = mtype.sensors.get("temperature")
            vib = mtype.sensors.get("vibration")
            machines.append(
                (
                    m.id,
                    site,
                    m.area,
                    m.type,
                    mtype.ideal_cycle_time_s,
                    m.efficiency,
                    temp.max if temp else None,
                    vib.max if vib else None,
                )
            )
            limits += [
                (m.id, metric, s.unit, s.setpoint, s.min, s.max)
                for metric, s in mtype.sensors.items()
            ]
        counts["machine"] = _upsert(
            conn,
            "machine",
            ("machine_id",),
            (
                "machine_id",
                "site_id",
                "area_id",
                "machine_type",
                "ideal_cycle_time_s",
                "efficiency",
                "temperature_max",
                "vibration_max",
            ),
            machines,
        )
        counts["machine_metric_limit"] = _upsert(
            conn,
            "machine_metric_limit",
            ("machine_id", "metric"),
            ("machine_id", "metric", "unit", "setpoint", "min_value", "max_value"),
            limits,
        )
        counts["recipe"] = _upsert(
            conn,
            "recipe",
            ("recipe_id",),
            ("recipe_id", "machine_type", "family", "process_time_s", "setpoints", "spec_limits"),
            [
                (
                    r.id,
                    r.machine_type,
                    r.family,
                    r.process_time_s,
                    json.dumps(r.setpoints),
                    json.dumps(_spec_limits(r)),
                )
                for r in plant.recipes
            ],
        )
        counts["setup_time"] = _upsert(
            conn,
            "setup_time",
            ("machine_type", "from_family", "to_family"),
            ("machine_type", "from_family", "to_family", "minutes"),
            [(s.machine_type, s.from_family, s.to_family, s.minutes) for s in plant.setup_times],
        )
        counts["product"] = _upsert(
            conn,
            "product",
            ("product_id",),
            ("product_id", "name", "die_area_mm2", *DIE_GRID_COLUMNS),
            [(p.id, p.name, p.die_area_mm2, *die_grid_row(p.die_grid)) for p in plant.products],
        )
        counts["route_step"] = _upsert(
            conn,
            "route_step",
            ("product_id", "step_no"),
            ("product_id", "step_no", "machine_type", "recipe_id"),
            [
                (p.id, i, s.machine_type, s.recipe)
                for p in plant.products
                for i, s in enumerate(p.route, start=1)
            ],
        )
        counts["shift_calendar"] = _upsert(
            conn,
            "shift_calendar",
            ("site_id", "shift_code"),
            ("site_id", "shift_code", "start_local", "duration_min"),
            [(site, s.code, s.start, s.duration_min) for s in plant.shifts],
        )
        counts["shift_break"] = _upsert(
            conn,
            "shift_break",
            ("site_id", "shift_code", "break_no"),
            ("site_id", "shift_code", "break_no", "offset_min", "duration_min", "kind"),
            [
                (site, s.code, i, b.offset_min, b.duration_min, b.kind)
                for s in plant.shifts
                for i, b in enumerate(sorted(s.breaks, key=lambda b: b.offset_min), start=1)
            ],
        )
        exceptions = [
            (site, e.machine, e.start, e.end, e.kind, e.note) for e in plant.calendar_exceptions
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO landing.calendar_exception "
                "(site_id, machine_id, start_ts, end_ts, kind, note) "
                "VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                exceptions,
            )
        counts["calendar_exception"] = len(exceptions)
        counts["defect_type"] = _upsert(
            conn,
            "defect_type",
            ("defect_type",),
            ("defect_type", "name", "severity", "color"),
            [(d.code, d.name, d.severity, d.color) for d in plant.defect_types],
        )
        counts["state_reason"] = _upsert(
            conn,
            "state_reason",
            ("reason_code",),
            ("reason_code", "state", "description", "loss_category"),
            [(r.code, r.state, r.description, r.loss_category) for r in plant.state_reasons],
        )
    return counts
