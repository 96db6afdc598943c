"""`fab dispatch`: rank the waiting lots per machine between two plans."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.table import Table

from fabcli.common import check_number, console, landing
from fabstack.errors import FabError


def dispatch(
    machine: str = typer.Option(None, "--machine", help="only this machine"),
    rule: str = typer.Option("toc", "--rule", help="edd | spt | cr | slack | toc"),
    top: int = typer.Option(10, "--top", help="lots shown per machine"),
    as_json: bool = typer.Option(False, "--json", help="print JSON rows"),
) -> None:
    """Dispatch list: the waiting lots per machine, best first, by the chosen rule."""
    from assets.planning.dispatch import RULES, rank_waiting, waiting_frames
    from assets.planning.loader import load_fab_data

    if rule not in RULES:
        raise FabError(f"--rule: unknown dispatch rule {rule!r} (one of {', '.join(RULES)})")
    check_number("--top", top, at_least=1, at_most=100_000)
    now = datetime.now(UTC)
    with landing() as conn:
        data = load_fab_data(conn, now, calendar_days=1)
    lots, machines = waiting_frames(data)
    if machine is not None and machine not in machines["machine_id"].to_list():
        raise FabError(f"--machine: unknown machine {machine!r}")
    ranked = rank_waiting(lots, machines, rule)
    if machine is not None:
        ranked = ranked.filter(ranked["machine_id"] == machine)
    ranked = ranked.filter(ranked["rank"] <= top)
    if as_json:
        print(json.dumps(ranked.to_dicts()))
        return
    if ranked.is_empty():
        console.print("no waiting lots")
        return
    table = Table(title=f"dispatch list ({rule}, {len(lots)} waiting lots)")
    for col in ranked.columns:
        table.add_column(col, justify="right" if ranked[col].dtype.is_numeric() else "left")
    for row in ranked.iter_rows():
        table.add_row(*(str(v) for v in row))
    console.print(table)
