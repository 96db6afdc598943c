"""`fab demo`: the whole path on the embedded defaults, step by step.

services → landing zone → plant → simulator backfill → dbt staging → every daily asset for the
last days → failure model → risk and anomalies → nightly plan and forecasts → board queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import typer

from fabcli.common import check_number, console, settings
from fabcli.db import print_status, run_migrate, run_seed
from fabcli.services import print_endpoints
from fabcli.simulate import MAX_SENSOR_HZ
from fabstack import services as svc
from fabstack.errors import FabError


def _step(number: int, title: str, action: Callable[[], object]) -> object:
    console.rule(f"[bold]{number}. {title}")
    started = time.monotonic()
    result = action()
    console.print(f"[dim]{title}: {time.monotonic() - started:.1f} s[/]")
    return result


def demo(
    plant: str = typer.Option(None, "--plant", help="Plant to run (default FAB_PLANT, demo)."),
    days: int = typer.Option(
        60,
        "--days",
        min=1,
        max=3650,
        help="Days of history to simulate (the failure model needs >= 50).",
    ),
    rate: float = typer.Option(
        0.1, "--rate", help="Sensor readings per second per metric (1 = full rate; slower)."
    ),
    build_days: int = typer.Option(
        7, "--build-days", min=1, help="Most recent plant days to build every daily asset for."
    ),
    plan_seconds: float = typer.Option(20, "--plan-seconds", help="CP-SAT time limit."),
) -> None:
    """Run the whole stack end to end on the embedded defaults and summarise what it built."""
    check_number("--rate", rate, above=0, at_most=MAX_SENSOR_HZ)
    check_number("--plan-seconds", plan_seconds, above=0, at_most=86_400)
    if build_days > days:
        raise FabError(f"--build-days: {build_days} is more than --days {days}")
    s = settings()
    plant = plant or s.plant
    started = time.monotonic()

    _step(1, "services", lambda: print_endpoints(svc.all_endpoints(s, start=True)))
    _step(2, "landing zone", run_migrate)
    _step(3, f"seed plant {plant}", lambda: run_seed(plant))
    summary = _step(4, f"simulate {days} days of {plant}", lambda: _backfill(plant, days, rate))
    local = _whole_days(summary, build_days)
    _step(5, "dbt staging models", lambda: _dbt_staging(local))
    _step(
        6,
        f"warehouse and analytics for the last {build_days} days",
        lambda: _build_days(local),
    )
    _step(7, "failure model: train, register, promote", lambda: _train(days))
    # features are keyed by UTC day: in the plant's first hour the plant day is a UTC day ahead
    scored = min(local[-1], datetime.now(UTC).date())
    _step(8, "failure risk, anomalies and health", lambda: _maintenance(scored))
    _step(9, "nightly plan and forecasts", lambda: _plan_and_forecast(plan_seconds, local[-1]))
    failed = _step(10, "board queries", _boards)
    console.rule("[bold]summary")
    _summary(local)
    console.print(
        f"demo finished in {time.monotonic() - started:.0f} s. Open the Dagster UI on the same "
        "data with `fab ui`; see `fab --help` for everything else."
    )
    if failed:
        raise FabError(f"{failed} board queries failed (see the table above)")


def _backfill(plant: str, days: int, rate: float) -> dict:
    from fabcli.simulate import backfill

    return backfill(plant, days=days, seed=settings().seed, end=None, rate=rate)


def _whole_days(summary: dict, count: int) -> list[date]:
    """The last ``count`` plant-local days of the backfill (the first one is partial)."""
    from datetime import datetime

    from assets.partitions import plant_timezone
    from fabstack.calendar import local_days

    start = datetime.fromisoformat(str(summary["start"]))
    end = datetime.fromisoformat(str(summary["end"]))
    return local_days(start, end, plant_timezone())[-count:]


def _dbt_staging(days: list[date]) -> None:
    from assets.partitions import plant_timezone
    from fabstack.calendar import day_window
    from orchestration.definitions import defs
    from orchestration.instance import persistent_instance
    from orchestration.run import IMPLICIT_JOB, run_job

    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "staging"]
    # dbt models are views over the landing zone: one run covers every day; the tests read
    # the days being built, not all of the zone
    tz = plant_timezone()
    window = {
        "test_from": day_window(days[0], tz)[0].isoformat(),
        "test_to": day_window(days[-1], tz)[1].isoformat(),
    }
    with persistent_instance() as instance:
        run_job(
            IMPLICIT_JOB,
            asset_selection=keys,
            defs=defs,
            instance=instance,
            run_config={"ops": {"dbt_staging": {"config": window}}},
        )
    console.print(
        f"built {len(keys)} staging models and ran their dbt tests on {days[0]} .. {days[-1]}"
    )


def _build_days(days: list[date]) -> list[date]:
    from fabcli.warehouse import build_days, print_status

    build_days(days)
    print_status()
    return days


def _train(days: int) -> None:
    from fabcli.model import train_command

    train_command(
        days=days, horizon=7, family="hist_gradient_boosting", promote=True, as_json=False
    )


def _maintenance(day: date) -> None:
    from fabcli.warehouse import print_checks
    from orchestration.instance import persistent_instance
    from orchestration.run import run_job

    with persistent_instance() as instance:
        result = run_job(
            "maintenance_daily",
            run_config={"ops": {"maintenance_features": {"config": {"source": "landing"}}}},
            instance=instance,
            partition_key=day.isoformat(),
        )
    console.print("scored failure risk, anomalies and health with the promoted model")
    print_checks([result])


def _plan_and_forecast(plan_seconds: float, day: date) -> None:
    from fabcli.warehouse import print_checks
    from orchestration.instance import persistent_instance
    from orchestration.run import run_job

    with persistent_instance() as instance:
        plan = run_job(
            "planning_nightly",
            run_config={"ops": {"plan_schedule": {"config": {"time_limit_s": plan_seconds}}}},
            instance=instance,
            partition_key=day.isoformat(),
        )
        forecast = run_job("forecast_nightly", instance=instance, partition_key=day.isoformat())
    console.print("planned every open lot and forecast capacity and on-time delivery")
    print_checks([plan, forecast])


def _boards() -> int:
    from fabcli.boards import run_board_check

    return run_board_check()


def _summary(days: list) -> None:
    print_status()
    if days:
        console.print(f"facts built for {days[0]} .. {days[-1]} (plant time)")
