"""`fab oee`: OEE per machine and shift from a CSV of state and count events, with the same
code as the warehouse assets. The plant file gives reason codes, shifts and ideal cycle times."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from fabcli.common import FIRST_YEAR, LAST_YEAR, check_number, console
from fabstack.errors import FabError

REQUIRED = ("ts", "machine_id", "kind")
OFFSET_SUFFIX = r"(?i)(z|[+-]\d{2}(:?\d{2})?)$"  # ISO 8601 UTC offset at the end of ts
MAX_SPAN_DAYS = 400  # a year of shifts per run; longer histories belong in the warehouse
MAX_COUNT = 10_000_000  # units in one count event: far above any tool, far below int64 sums
MAX_IDEAL_CYCLE_S = 86_400.0  # an ideal cycle longer than a day is a unit mistake


def _read_events(path: Path):
    import polars as pl

    if not path.is_file():
        raise FabError(f"file {str(path)!r} not found")
    try:
        df = pl.read_csv(path, infer_schema=False)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FabError(f"{path}: cannot read CSV: {first}") from None
    for col in REQUIRED:
        if col not in df.columns:
            raise FabError(f"{path}: column {col!r} not found; columns are {', '.join(df.columns)}")
    # a naive time read as UTC would shift every shift by the plant's offset: refuse it
    naive = ~df["ts"].str.strip_chars().str.contains(OFFSET_SUFFIX)
    ts = df["ts"].str.to_datetime(time_zone="UTC", strict=False, time_unit="us")
    if (naive | ts.is_null()).any():
        i = int((naive | ts.is_null()).arg_true()[0])
        raise FabError(
            f"{path}: row {i + 2}: ts {df['ts'][i]!r} is not an ISO timestamp with a UTC "
            "offset (e.g. 2026-11-20T06:00:00+01:00)"
        )
    years = ts.dt.year()
    outside = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if outside.any():
        i = int(outside.arg_true()[0])
        raise FabError(
            f"{path}: row {i + 2}: ts {df['ts'][i]!r} is in year {years[i]}; "
            f"events must fall in {FIRST_YEAR}..{LAST_YEAR}"
        )
    span = ts.max() - ts.min()
    if span > timedelta(days=MAX_SPAN_DAYS):  # every shift of the span is computed
        raise FabError(
            f"{path}: events span {span.days} days ({ts.min():%Y-%m-%d} .. {ts.max():%Y-%m-%d}); "
            f"fab oee takes at most {MAX_SPAN_DAYS} days per file"
        )
    df = df.with_columns(ts.alias("ts"))
    kinds = set(df["kind"].unique().to_list()) - {"state", "count"}
    if kinds:
        raise FabError(f"{path}: kind must be state or count, got {sorted(kinds)[0]!r}")
    return df


def _one_state_per_instant(path: Path, states):
    """Two state events of one machine at one instant: the same event twice is kept once, two
    different reasons leave the machine's state unknown and are refused."""
    import polars as pl

    states = states.unique(["ts", "machine_id", "reason_code"], maintain_order=True)
    clash = states.filter(pl.len().over("ts", "machine_id") > 1)
    if clash.height:
        row = clash.row(0, named=True)
        reasons = sorted(
            clash.filter((pl.col("ts") == row["ts"]) & (pl.col("machine_id") == row["machine_id"]))[
                "reason_code"
            ].to_list()
        )
        raise FabError(
            f"{path}: machine {row['machine_id']} has state events {', '.join(reasons)} at the "
            f"same time {row['ts'].isoformat()}: which one held is unknown"
        )
    return states


def _check_possible(path: Path, per_machine) -> None:
    """OEE cannot exceed 100 %: counts that imply it (units faster than the ideal cycle time,
    or units while the machine never ran) contradict the cycle time or the states."""
    import polars as pl

    impossible = per_machine.filter(
        (pl.col("oee") > 1) | ((pl.col("run_min") <= 0) & (pl.col("good") + pl.col("scrap") > 0))
    )
    if impossible.height:
        r = impossible.row(0, named=True)
        where = f"{path}: machine {r['machine_id']} shift {r['window_date']} {r['shift_code']}"
        units = r["good"] + r["scrap"]
        if r["run_min"] <= 0:
            raise FabError(f"{where}: {units} units counted but the machine never ran")
        raise FabError(
            f"{where}: {units} units in {r['run_min']:.1f} run minutes is faster than its ideal "
            f"cycle time allows (OEE {100 * r['oee']:.0f} %): check the counts, the states or "
            "--ideal-cycle-s"
        )


def _ints(df, path: Path, col: str):
    import polars as pl

    if col not in df.columns:
        raise FabError(f"{path}: count rows need column {col!r}")
    cast = df[col].cast(pl.Int64, strict=False)
    bad = cast.is_null() | (cast < 0) | (cast > MAX_COUNT)
    if bad.any():
        i = int(bad.arg_true()[0])
        raise FabError(f"{path}: {col} {df[col][i]!r} is not a count in 0..{MAX_COUNT:,}")
    return cast


def oee_report(file: Path, plant_name: str, ideal_cycle_s: float | None) -> dict:
    """OEE per machine and shift (and the plant per shift) for every shift the events cover."""
    import polars as pl

    from assets.oee.intervals import intervals_from_events, with_loss_category
    from assets.oee.metrics import oee_by_window, rollup
    from assets.oee.shifts import Shift, shift_windows
    from ingestion.plant import load_plant

    plant = load_plant(plant_name)
    df = _read_events(file)
    states = df.filter(pl.col("kind") == "state")
    if "reason_code" not in df.columns or states.is_empty():
        raise FabError(f"{file}: need state rows with a reason_code column")
    states = _one_state_per_instant(file, states)
    reasons = pl.DataFrame(
        {
            "reason_code": [r.code for r in plant.state_reasons],
            "loss_category": [r.loss_category for r in plant.state_reasons],
        }
    )
    unknown = set(states["reason_code"].to_list()) - set(reasons["reason_code"].to_list())
    if unknown:
        raise FabError(
            f"{file}: reason_code {sorted(unknown)[0]!r} is not in plant "
            f"{plant.plant}'s state reasons"
        )
    counts = df.filter(pl.col("kind") == "count")
    counts = (
        counts.with_columns(good=_ints(counts, file, "good"), scrap=_ints(counts, file, "scrap"))
        if counts.height
        else pl.DataFrame(
            schema={
                "ts": pl.Datetime("us", "UTC"),
                "machine_id": pl.Utf8,
                "good": pl.Int64,
                "scrap": pl.Int64,
            }
        )
    )
    cycle = {m.id: plant.machine_type_of(m.id).ideal_cycle_time_s for m in plant.machines}
    machines = sorted(set(df["machine_id"].to_list()))
    missing = [m for m in machines if m not in cycle]
    if missing and ideal_cycle_s is None:
        raise FabError(
            f"{file}: machine {missing[0]!r} is not in plant {plant.plant}; give --ideal-cycle-s"
        )
    machine_frame = pl.DataFrame(
        {
            "machine_id": machines,
            "site_id": [plant.site.id] * len(machines),
            "ideal_cycle_time_s": [ideal_cycle_s if ideal_cycle_s else cycle[m] for m in machines],
        }
    )
    shifts = [Shift(s.code, s.start, s.duration_min) for s in plant.shifts]
    first, last = df["ts"].min(), df["ts"].max()
    windows = shift_windows(
        shifts, plant.site.timezone, (first - timedelta(days=1)).date(), last.date()
    )
    windows = windows.filter((pl.col("window_end") > first) & (pl.col("window_start") < last))
    intervals = with_loss_category(
        intervals_from_events(
            states.select("ts", "machine_id", pl.lit("").alias("state"), "reason_code"), last
        ),
        reasons,
    )
    per_machine = oee_by_window(
        intervals, counts.select("ts", "machine_id", "good", "scrap"), machine_frame, windows
    )
    _check_possible(file, per_machine)
    keys = ["window_date", "shift_code", "window_start"]
    plant_rows = rollup(per_machine, ["site_id", *keys])
    cols = [
        "planned_production_min",
        "run_min",
        "downtime_min",
        "good",
        "scrap",
        "availability",
        "performance",
        "quality",
        "oee",
    ]

    def rows(frame: pl.DataFrame, who: str) -> list[dict]:
        out = []
        for r in frame.sort("window_start").iter_rows(named=True):
            if r["planned_production_min"] <= 0:
                continue
            out.append(
                {
                    "entity": r[who],
                    "shift_date": str(r["window_date"]),
                    "shift": r["shift_code"],
                    **{c: r[c] for c in cols},
                }
            )
        return out

    return {
        "file": str(file),
        "plant": plant.plant,
        "machines": rows(per_machine, "machine_id"),
        "plant_total": rows(plant_rows, "site_id"),
    }


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f} %"


def oee(
    file: Path = typer.Argument(
        ...,
        help="CSV: ts, machine_id, kind (state|count), "
        "reason_code (state rows), good, scrap (count rows).",
    ),
    plant: str = typer.Option("demo", "--plant", help="Plant file: reasons, shifts, machines."),
    ideal_cycle_s: float | None = typer.Option(
        None, "--ideal-cycle-s", help="Ideal cycle time for machines not in the plant file."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """OEE = availability x performance x quality per machine and shift, and for the plant."""
    if ideal_cycle_s is not None:
        check_number("--ideal-cycle-s", ideal_cycle_s, above=0, at_most=MAX_IDEAL_CYCLE_S)
    report = oee_report(file, plant, ideal_cycle_s)
    if as_json:
        print(json.dumps(report, indent=1, default=str))
        return
    table = Table(title=f"OEE from {file.name} (plant {report['plant']})")
    for col in (
        "machine",
        "shift",
        "planned min",
        "run min",
        "good",
        "scrap",
        "A",
        "P",
        "Q",
        "OEE",
    ):
        table.add_column(col, justify="left" if col in ("machine", "shift") else "right")
    for r in [*report["machines"], *report["plant_total"]]:
        table.add_row(
            r["entity"],
            f"{r['shift_date']} {r['shift']}",
            f"{r['planned_production_min']:.0f}",
            f"{r['run_min']:.0f}",
            str(r["good"]),
            str(r["scrap"]),
            _pct(r["availability"]),
            _pct(r["performance"]),
            _pct(r["quality"]),
            _pct(r["oee"]),
        )
    console.print(table)
