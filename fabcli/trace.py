"""`fab trace WAFER_ID`: the digital thread of one wafer from the warehouse."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from fabcli.common import console, settings


def _sensors(means: dict, mins: dict, maxs: dict) -> str:
    """Compact sensor summary: metric mean (min-max), one metric per line."""
    return (
        "\n".join(
            f"{m} {means[m]:.4g} ({mins.get(m, float('nan')):.4g}-{maxs.get(m, float('nan')):.4g})"
            for m in sorted(means)
        )
        or "-"
    )


def trace(wafer_id: str = typer.Argument(..., help="Wafer id, e.g. L2506100017-01N.")) -> None:
    """Show every step, tool and time a wafer saw, the tool's sensors during it, and defects."""
    from ingestion.plant import load_plant
    from warehouse.client import open_warehouse
    from warehouse.inspect import wafer_trace

    s = settings()
    tz = ZoneInfo(load_plant(s.plant).site.timezone)
    with open_warehouse(s) as wh:
        result = wafer_trace(wh, wafer_id)
    w = result.wafer
    console.print(
        f"[bold]{w['wafer_id']}[/] lot {w['lot_id']} slot {w['slot']} product {w['product_id']}"
        f" priority {w['priority']}{' HOT' if w['hot_lot'] else ''}"
    )
    table = Table(title=f"route: {len(result.route)} steps (times {tz.key})", show_lines=True)
    for col in (
        "step",
        "tool / recipe",
        "in - out",
        "min",
        "tool sensors: mean (min-max)",
        "measured",
        "defects",
    ):
        table.add_column(col, justify="right" if col in ("step", "min", "defects") else "left")
    for r in result.route.iter_rows(named=True):
        t_in = r["track_in_ts"].astimezone(tz)
        t_out = r["track_out_ts"].astimezone(tz)
        table.add_row(
            str(r["step_no"]),
            f"{r['machine_id']}\n{r['recipe_id']}",
            f"{t_in:%m-%d %H:%M:%S}\n{t_out:%m-%d %H:%M:%S}",
            f"{r['duration_s'] / 60:.1f}",
            _sensors(r["sensor_mean"], r["sensor_min"], r["sensor_max"]),
            "\n".join(f"{k} {v:.4g}" for k, v in sorted(r["measurements"].items())) or "-",
            str(r["defect_count"]) if r["inspections"] else "-",
        )
    console.print(table)
    if result.route.height == 0:
        console.print("no steps recorded for this wafer yet")
    if result.defects.height:
        by_type = result.defects.group_by("defect_type").len().sort("len", descending=True)
        console.print(
            "defects found: "
            + ", ".join(
                f"{row['defect_type']} {row['len']}" for row in by_type.iter_rows(named=True)
            )
        )
