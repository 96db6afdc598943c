"""`fab warehouse`: the ClickHouse star schema - status and building days."""

from __future__ import annotations

from datetime import date, timedelta

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fabcli.common import check_year, console, human_bytes, settings
from fabstack.errors import FabError

MAX_BUILD_DAYS = 366  # a year per call: each day is a full rebuild of its facts

app = typer.Typer(help="Warehouse (ClickHouse star schema): status, build.", no_args_is_help=True)


def _partition_label(pid: str) -> str:
    if len(pid) == 8 and pid.isdigit():
        return f"{pid[:4]}-{pid[4:6]}-{pid[6:]}"
    return "-" if pid in ("", "all") else pid


def print_status(table: str | None = None) -> None:
    """Print the warehouse tables (and one table's partitions); what `fab demo` shows at the end."""
    from fabstack.services import warehouse_endpoint
    from warehouse.client import open_warehouse
    from warehouse.inspect import partition_status, schema_exists, table_status

    s = settings()
    endpoint = warehouse_endpoint(s)
    with open_warehouse(s) as wh:
        if not schema_exists(wh):
            console.print(
                f"warehouse at {endpoint.url} ({wh.kind}) is empty: "
                "run `fab demo` or materialize the assets"
            )
            return
        tables = table_status(wh)
        parts = partition_status(wh, table) if table else None
    if table and table not in tables["table"].to_list():
        raise FabError(f"--table: no table {table!r} in database fab")
    out = Table(title=f"warehouse fab at {endpoint.url} ({endpoint.detail})")
    for col, justify in (
        ("table", "left"),
        ("partitions", "right"),
        ("rows", "right"),
        ("size", "right"),
        ("first", "left"),
        ("last", "left"),
    ):
        out.add_column(col, justify=justify)
    for row in tables.iter_rows(named=True):
        out.add_row(
            row["table"],
            f"{row['partitions']:,}",
            f"{row['rows']:,}",
            human_bytes(row["bytes"]),
            _partition_label(row["first_partition"]),
            _partition_label(row["last_partition"]),
        )
    console.print(out)
    if parts is not None:
        detail = Table(title=f"fab.{table} partitions")
        for col in ("partition", "rows", "size"):
            detail.add_column(col, justify="left" if col == "partition" else "right")
        for row in parts.iter_rows(named=True):
            detail.add_row(
                _partition_label(row["partition"]), f"{row['rows']:,}", human_bytes(row["bytes"])
            )
        console.print(detail)


@app.command()
def status(
    table: str = typer.Option(None, "--table", help="Also list this table's partitions."),
) -> None:
    """List the warehouse tables with their partitions, rows and bytes."""
    print_status(table)


def build_days(days: list[date]) -> None:
    """Materialize every asset of the daily job for ``days``, in-process, with a progress bar,
    then print how the asset checks of those days came out."""
    from orchestration.instance import persistent_instance
    from orchestration.run import materialize_days

    with Progress(
        TextColumn("[bold]materialize"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("", total=len(days))

        def progress(done: int, total: int, day: str) -> None:
            bar.update(task, completed=done, description=f"{done}/{total} days ({day})")

        # recorded in the instance `fab ui` reads: the runs, partitions and checks show there
        with persistent_instance() as instance:
            results = materialize_days(days, progress=progress, instance=instance)
    print_checks(results)


def _figure(value: object) -> str:
    # check metadata holds numbers and also lists (e.g. the keys that differ)
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def print_checks(results: list) -> None:
    """One line per asset check that did not pass, and the totals, over the runs' evaluations."""
    evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
    failed = [e for e in evaluations if not e.passed]
    for e in failed:
        level = "warn" if e.severity.value == "WARN" else "[red]fail[/]"
        detail = ", ".join(f"{k} {_figure(v.value)}" for k, v in e.metadata.items())
        where = f"{e.asset_key.to_user_string()}.{e.check_name} ({e.partition or '-'})"
        console.print(f"  {level} {where}: {detail}")
    errors = sum(1 for e in failed if e.severity.value != "WARN")
    console.print(
        f"asset checks: {len(evaluations) - len(failed)} passed, {errors} failed, "
        f"{len(failed) - errors} warnings"
    )


@app.command()
def build(
    first: str = typer.Argument(..., help="First plant-local day, YYYY-MM-DD."),
    last: str = typer.Argument(None, help="Last day (default: the first)."),
) -> None:
    """Rebuild dimensions and every fact for a range of days (same as materializing in Dagster)."""
    from fabstack.calendar import parse_day

    a = parse_day(first)
    b = parse_day(last) if last else a
    check_year("FIRST", a)
    check_year("LAST", b)
    if b < a:
        raise FabError(f"LAST: {b} is before FIRST {a}")
    if (b - a).days + 1 > MAX_BUILD_DAYS:
        raise FabError(
            f"FIRST..LAST: {(b - a).days + 1} days; build at most {MAX_BUILD_DAYS} per call"
        )
    build_days([a + timedelta(days=i) for i in range((b - a).days + 1)])
    console.print(f"built {a} .. {b}; see `fab warehouse status`")
