"""`fab plan`: solve job-shop instance files and run the fab's nightly CP-SAT plan on demand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from fabcli.common import check_number, console, landing, time_option

app = typer.Typer(help="Production planning (OR-Tools CP-SAT).", no_args_is_help=True)


# Upper bounds: a day is the longest a plan can wait; CP-SAT's portfolio gains nothing beyond
# 64 workers, and 100,000 threads exhaust the host before the search starts.
UPPER_BOUNDS = {"--time-limit": 86_400.0, "--det-time": 86_400.0, "--workers": 64}


def _positive(name: str, value: float) -> None:
    check_number(name, value, above=0, at_most=UPPER_BOUNDS.get(name))


def _solve_file(name, problem, size: str, time_limit, det_time, workers, seed, as_json) -> None:
    """Solve a job-shop or flexible job-shop problem and print its figures."""
    from assets.planning.checker import check_schedule
    from assets.planning.model import SolveOptions, solve

    _positive("--time-limit", time_limit)
    _positive("--workers", workers)
    check_number("--seed", seed, at_least=0, at_most=2**31 - 1)
    if det_time is not None:
        _positive("--det-time", det_time)
    budget = f"limit {time_limit:g} s" + (f", {det_time:g} det. s" if det_time else "")
    with console.status(f"solving {name} ({size}, {budget})"):
        result = solve(
            problem,
            SolveOptions(
                time_limit_s=time_limit, workers=workers, seed=seed, deterministic_time=det_time
            ),
        )
    violations = check_schedule(problem, result.slots)
    if violations:  # a bug, never bad input
        raise RuntimeError(f"schedule check failed: {violations[0]}")
    out = {
        "instance": name,
        "jobs": len(problem.jobs),
        "machines": len(problem.machines),
        "operations": len(problem.operations),
        "status": result.status,
        "makespan": result.makespan,
        "best_bound": result.makespan_bound,
        "cp_sat_bound": result.cp_sat_bound,
        "gap": result.gap,
        "time_s": round(result.solve_time_s, 3),
        "deterministic_time": round(result.deterministic_time, 3),
        "workers": workers,
        "seed": seed,
    }
    if as_json:
        print(json.dumps(out))
        return
    console.print(
        f"{name}: makespan {result.makespan}  status {result.status}  "
        f"best bound {result.makespan_bound:g} (CP-SAT {result.cp_sat_bound or 0:g})  "
        f"gap {100 * (result.gap or 0):.2f} %  time {result.solve_time_s:.2f} s  "
        f"det. time {result.deterministic_time:.2f}"
    )


def _size(instance) -> str:
    return f"{instance.n_jobs} jobs x {instance.n_machines} machines"


def _det_time_option():
    return typer.Option(
        None,
        "--det-time",
        help="CP-SAT deterministic time budget: with --seed and --workers, repeatable figures "
        "whatever the machine load (the --time-limit still caps wall time)",
    )


@app.command("jsp")
def jsp(
    file: Path = typer.Argument(..., help="job-shop instance (JSPLIB 'standard' format)"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds"),
    workers: int = typer.Option(2, "--workers", help="CP-SAT search workers"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    det_time: float = _det_time_option(),
    seed: int = typer.Option(0, "--seed", help="CP-SAT random seed"),
) -> None:
    """Solve a job-shop instance with the plan's model: makespan, status, best bound, time."""
    from assets.planning.jsp import jsp_problem, parse_jsp

    instance = parse_jsp(file)
    problem = jsp_problem(instance)
    _solve_file(
        instance.name, problem, _size(instance), time_limit, det_time, workers, seed, as_json
    )


# the options `fab plan fjsp` shares with `fab plan jsp`
TIME_LIMIT = typer.Option(60.0, "--time-limit", help="seconds, the whole solve")
WORKERS = typer.Option(2, "--workers", help="CP-SAT search workers")
AS_JSON = typer.Option(False, "--json", help="print one JSON object")
SEED = typer.Option(0, "--seed", help="CP-SAT random seed")


@app.command("fjsp")
def fjsp(
    file: Path = typer.Argument(..., help="flexible job-shop instance (.fjs format)"),
    time_limit: float = TIME_LIMIT,
    det_time: float = _det_time_option(),
    workers: int = WORKERS,
    seed: int = SEED,
    as_json: bool = AS_JSON,
) -> None:
    """Solve a flexible job-shop instance (Brandimarte, Hurink, Dauzère-Pérès .fjs files)."""
    from assets.planning.fjsp import fjsp_problem, parse_fjsp

    inst = parse_fjsp(file)
    problem = fjsp_problem(inst)
    _solve_file(inst.name, problem, _size(inst), time_limit, det_time, workers, seed, as_json)


def _parse_at(at: str | None) -> datetime:
    return datetime.now(UTC) if at is None else time_option("--at", at)


@app.command("run")
def run(
    at: str = typer.Option(None, "--at", help="plan start, ISO 8601 with offset (default: now)"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds"),
    workers: int = typer.Option(2, "--workers", help="CP-SAT search workers"),
    frozen_hours: float = typer.Option(
        0.0,
        "--frozen-hours",
        help="operations of the previous plan starting within this many hours keep their slot",
    ),
    warm_start: bool = typer.Option(
        True, "--warm-start/--no-warm-start", help="hint the solver with the previous plan"
    ),
    skip_bad_lots: bool = typer.Option(
        False, "--skip-bad-lots", help="leave offending lots out (reported) instead of stopping"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="do not store the plan"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """The nightly plan on demand: every open lot's remaining steps, stored in
    landing.plan_run and landing.schedule_slot."""
    from assets.planning.nightly import PlanRunOptions, run_plan

    _positive("--time-limit", time_limit)
    _positive("--workers", workers)
    check_number("--frozen-hours", frozen_hours, at_least=0, at_most=24 * 365)
    options = PlanRunOptions(
        time_limit_s=time_limit,
        workers=workers,
        frozen_hours=frozen_hours,
        warm_start=warm_start,
        strict=not skip_bad_lots,
    )
    plan_start = _parse_at(at)
    with landing() as conn, console.status(f"planning (limit {time_limit:g} s)"):
        outcome = run_plan(conn, plan_start, options, store=not dry_run)
    summary = outcome.summary()
    if as_json:
        print(json.dumps(summary, default=str))
        return
    table = Table(
        title=f"{outcome.plan_id}: {summary['status']}" + ("" if dry_run else " (stored)")
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in (
        "lots",
        "operations",
        "makespan_min",
        "weighted_tardiness",
        "on_time_lots",
        "late_lots",
        "bottleneck",
        "gap",
        "makespan_bound",
        "tardiness_bound",
        "tardiness_gap",
        "solve_time_s",
        "warm_start_from",
    ):
        value = summary[key]
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    for off in summary["offending_lots"]:
        console.print(f"[yellow]left out[/] lot {off['lot_id']}: {off['reason']}")
    if summary["infeasible_groups"]:
        console.print(f"[red]infeasible[/]: constraint group(s) {summary['infeasible_groups']}")
