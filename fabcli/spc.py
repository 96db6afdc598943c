"""`fab spc`: control limits and rule violations for an engineer's own CSV, using the same
SPC code as the warehouse assets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.table import Table

from fabcli.common import check_number, console
from fabstack.errors import FabError

app = typer.Typer(help="Statistical process control on your own data.", no_args_is_help=True)


def _read_csv(path: Path):
    import polars as pl

    if not path.is_file():
        raise FabError(f"file {str(path)!r} not found")
    try:
        # Everything as text: numbers are parsed by the SPC code, which names a bad row.
        return pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several types for malformed CSV
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FabError(f"{path}: cannot read CSV: {first}") from None


def _clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def limits_report(
    file: Path,
    chart: str,
    value: str,
    subgroup: str | None,
    size: str | None,
    phase1: str | None,
    constants: str,
    lsl: float | None,
    usl: float | None,
) -> dict:
    """Compute everything `fab spc limits` shows, as one JSON-able dict."""
    from assets.spc.analysis import analyze
    from assets.spc.capability import capability
    from assets.spc.charts import ChartDataError
    from assets.spc.constants import CONVENTIONS

    if constants not in CONVENTIONS:
        raise FabError(f"--constants {constants!r}: one of {', '.join(CONVENTIONS)}")
    for option, limit in (("--lsl", lsl), ("--usl", usl)):
        if limit is not None:
            check_number(option, limit)
    if lsl is not None and usl is not None and not lsl < usl:
        raise FabError(f"--lsl {lsl:g} must be below --usl {usl:g}")
    df = _read_csv(file)
    try:
        result = analyze(
            df, chart, value, subgroup=subgroup, size=size, phase1=phase1, convention=constants
        )
    except (ChartDataError, ValueError) as exc:
        raise FabError(f"{file}: {exc}") from None
    report: dict = {
        "file": str(file),
        "chart_type": chart,
        "constants": constants,
        "phase1_points": result.phase1_points,
        "points": int(result.points["point"].n_unique()),
        "limits": {
            k: {kk: _clean(vv) for kk, vv in v.as_dict().items()} for k, v in result.limits.items()
        },
        "violations": [
            {
                "chart": r["chart"],
                "point": int(r["point"]) + 1,
                "subgroup": r["subgroup"],
                "value": _clean(r["value"]),
                "rule": int(r["rule"]),
                "rule_text": r["rule_text"],
                "phase1": bool(r["phase1"]),
            }
            for r in result.violations.iter_rows(named=True)
        ],
    }
    first = next(iter(result.limits.values()))
    if (lsl is not None or usl is not None) and chart in ("xbar-r", "xbar-s", "imr"):
        import polars as pl

        rows = df
        if phase1 is not None:  # capability of the in-control baseline, not of Phase II
            flags = df[phase1].str.strip_chars().str.to_lowercase().is_in(["true", "t", "1", "yes"])
            rows = df.filter(flags)
        values = rows.select(pl.col(value).cast(pl.Float64))[value].to_numpy()
        report["capability"] = {
            k: _clean(v) for k, v in capability(values, first.sigma, lsl, usl).items()
        }
    return report


@app.command("limits")
def limits(
    file: Path = typer.Argument(..., help="CSV file, one row per measurement or count."),
    chart: str = typer.Option(
        ...,
        "--chart",
        help="xbar-r | xbar-s | imr | p | np | c | u | laney-u (u with overdispersion)",
    ),
    value: str = typer.Option(..., "--value", help="Column with the measurement or count."),
    subgroup: str | None = typer.Option(None, "--subgroup", help="Column naming the subgroup."),
    size: str | None = typer.Option(None, "--size", help="Sample size column (p, np, u, laney-u)."),
    phase1: str | None = typer.Option(
        None, "--phase1", help="Boolean column marking the Phase I rows (default: all rows)."
    ),
    constants: str = typer.Option("exact", "--constants", help="exact | qcc (qcc's tables)."),
    lsl: float | None = typer.Option(None, "--lsl", help="Lower spec limit (capability)."),
    usl: float | None = typer.Option(None, "--usl", help="Upper spec limit (capability)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Phase I centre line and 3-sigma limits of each chart, then every rule violation."""
    report = limits_report(file, chart, value, subgroup, size, phase1, constants, lsl, usl)
    if as_json:
        print(json.dumps(report, indent=1))
        return
    table = Table(title=f"{chart} limits from {report['phase1_points']} Phase I points")
    for col in ("chart", "center", "LCL", "UCL", "sigma"):
        table.add_column(col, justify="left" if col == "chart" else "right")
    for name, lim in report["limits"].items():
        sigma = "" if lim["sigma"] is None else f"{lim['sigma']:.7g}"
        table.add_row(name, f"{lim['center']:.7g}", f"{lim['lcl']:.7g}", f"{lim['ucl']:.7g}", sigma)
    console.print(table)
    if "capability" in report:
        cap = report["capability"]
        shown = [f"{k} {cap[k]:.3f}" for k in ("Cp", "Cpk", "Pp", "Ppk") if cap[k] is not None]
        console.print(
            "capability: "
            + (", ".join(shown) or "no spread (constant values): Cp, Cpk, Pp, Ppk undefined")
        )
    if not report["violations"]:
        console.print("no rule violations")
        return
    vt = Table(title=f"{len(report['violations'])} rule violations")
    for col in ("chart", "point", "subgroup", "value", "rule", "meaning", "phase"):
        vt.add_column(col)
    for v in report["violations"]:
        vt.add_row(
            v["chart"],
            str(v["point"]),
            str(v["subgroup"]),
            f"{v['value']:.7g}",
            str(v["rule"]),
            v["rule_text"],
            "I" if v["phase1"] else "II",
        )
    console.print(vt)
