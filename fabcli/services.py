"""`fab services`: which services are real, which embedded, and where."""

from __future__ import annotations

import typer
from rich.table import Table

from fabcli.common import console, settings
from fabstack import services as svc

app = typer.Typer(help="Find, start and stop the services the stack uses.", no_args_is_help=True)


def print_endpoints(endpoints: list[svc.Endpoint]) -> None:
    table = Table(title="services")
    for col in ("role", "kind", "where", "detail"):
        table.add_column(col)
    colour = {"real": "green", "configured": "green", "embedded": "cyan", "down": "red"}
    for e in endpoints:
        table.add_row(
            e.role, f"[{colour.get(e.kind, 'white')}]{e.kind}[/]", svc.redact(e.url), e.detail
        )
    console.print(table)


@app.command()
def status() -> None:
    """Show each service: configured, real (found locally), embedded, or down. Starts nothing."""
    print_endpoints(svc.all_endpoints(settings(), start=False))


@app.command()
def up() -> None:
    """Use real services where they answer; start embedded PostgreSQL / amqtt where they don't."""
    print_endpoints(svc.all_endpoints(settings(), start=True))


@app.command()
def down() -> None:
    """Stop the embedded services this machine started (real services are left alone)."""
    s = settings()
    stopped = [
        name
        for name, stop in (
            ("embedded PostgreSQL", svc.stop_embedded_postgres),
            ("embedded MQTT broker", svc.stop_embedded_broker),
        )
        if stop(s)
    ]
    console.print(
        "stopped: " + ", ".join(stopped) if stopped else "no embedded service was running"
    )
