"""`fab boards`: regenerate the Grafana board JSON and alert rules, and check every query runs."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from fabcli.common import check_year, console, landing, settings
from fabstack.errors import FabError

app = typer.Typer(
    help="Grafana boards as code: build the JSON, check every query.", no_args_is_help=True
)


@app.command("build")
def build() -> None:
    """Regenerate dashboards/json/*.json and the alert provisioning file from the board code."""
    from dashboards.generate import REPO_ROOT, write_all

    changed = write_all()
    for path in changed:
        console.print(f"wrote {path.relative_to(REPO_ROOT)}")
    if not changed:
        console.print("boards and alert rules are up to date")


@app.command("check")
def check(
    now: str = typer.Option(
        None, "--now", help="ISO time taken as Grafana's 'now' (default: newest state event)."
    ),
    board: list[str] = typer.Option(
        None, "--board", help="Only boards whose title contains this (repeatable)."
    ),
    show_sql: bool = typer.Option(False, "--sql", help="Print the SQL of failing queries."),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Also fail panels that list exceptional events (interlocks, dead letters) when "
        "the range has none.",
    ),
) -> None:
    """Run every panel, variable and alert query (template variables substituted) against the
    warehouse and the landing zone; fail on any error or empty result."""
    failures = run_board_check(
        _parse_now(now) if now else None, titles=board, strict=strict, show_sql=show_sql
    )
    if failures:
        raise typer.Exit(1)


def run_board_check(
    now: datetime | None = None,
    *,
    titles: list[str] | None = None,
    strict: bool = False,
    show_sql: bool = False,
) -> int:
    """What `fab boards check` does (also the demo's last step): prints the table, returns the
    number of failed queries."""
    from dashboards.check import landing_runner, latest_event, load_alerts, load_boards, run_check
    from dashboards.sql import LANDING, WAREHOUSE

    boards = load_boards()
    if titles:
        wanted = [b.lower() for b in titles]
        boards = [b for b in boards if any(w in b.get("title", "").lower() for w in wanted)]
        if not boards:
            raise FabError(f"--board: no board title contains {', '.join(titles)!r}")
    alerts = load_alerts() if not titles else {"groups": []}
    with ExitStack() as stack:
        conn = stack.enter_context(landing())
        moment = now or latest_event(conn)
        if moment is None:
            raise FabError(
                "landing zone has no machine_state rows: run `fab demo` first or pass --now"
            )
        lazy = _LazyWarehouse(stack)
        runners = {LANDING.uid: landing_runner(conn), WAREHOUSE.uid: lazy.run}
        with console.status(f"running board queries (now = {moment.isoformat()})"):
            report = run_check(runners, moment, boards=boards, alerts=alerts, strict=strict)
    _print(report, show_sql)
    if report.failures:
        console.print(f"[red]{len(report.failures)} of {len(report.outcomes)} queries failed")
        return len(report.failures)
    empty = sum(1 for o in report.outcomes if o.rows == 0)
    note = f" ({empty} allowed empty: exceptional events absent)" if empty else ""
    console.print(f"[green]all {len(report.outcomes)} queries ran{note}")
    return 0


class _LazyWarehouse:
    """Open the warehouse only when a warehouse query runs (chDB locks its data path)."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._runner: Any = None

    def run(self, sql: str) -> Any:
        if self._runner is None:
            from dashboards.check import warehouse_runner
            from warehouse.client import open_warehouse

            self._runner = warehouse_runner(self._stack.enter_context(open_warehouse(settings())))
        return self._runner(sql)


def _parse_now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FabError(
            f"--now: expected an ISO time like 2026-01-31T12:00:00Z, got {text!r}"
        ) from None
    check_year("--now", moment, text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print(report: Any, show_sql: bool) -> None:
    table = Table("board", "query", "datasource", "result", show_lines=False)
    for o in report.outcomes:
        style = ("green" if o.rows else "yellow") if o.ok else "red"
        table.add_row(escape(o.board), escape(o.where), o.source, f"[{style}]{escape(o.reason)}")
    console.print(table)
    if show_sql:
        for o in report.failures:
            console.rule(f"{o.board}: {o.where}")
            console.print(o.sql, markup=False, highlight=False)
