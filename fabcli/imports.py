"""`fab import`: bring outside data files into the landing zone. Each family of files keeps its
commands in its own module; this group only registers them."""

from __future__ import annotations

import typer

from fabcli import import_history, import_wafer

app = typer.Typer(help="Import data files into the landing zone.", no_args_is_help=True)

app.command("readings")(import_history.readings)
app.command("events")(import_history.events)
app.command("wafermaps")(import_wafer.wafermaps)
app.command("klarf")(import_wafer.klarf)
