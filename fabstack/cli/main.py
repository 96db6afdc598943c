"""`fab`: the one command a person runs. Each subcommand group lives in its own module."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings

import typer

from fabstack.errors import FabError

app = typer.Typer(
    name="fab",
    help="fabstack: fab and shop-floor analytics. Start with `fab demo`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (name, module): each module exposes `app`, a typer.Typer of that group's commands.
SUBCOMMANDS: list[tuple[str, str]] = [
    ("services", "fabstack.cli.services"),
    ("db", "fabstack.cli.db"),
    ("warehouse", "fabstack.cli.warehouse"),
    ("simulate", "fabstack.cli.simulate"),
    ("plan", "fabstack.cli.plan"),
    ("ingest", "fabstack.cli.ingest"),
    ("import", "fabstack.cli.imports"),
    ("spc", "fabstack.cli.spc"),
    ("boards", "fabstack.cli.boards"),
    ("model", "fabstack.cli.model"),
]
# (name, module, function): single commands at the top level.
COMMANDS: list[tuple[str, str, str]] = [
    ("demo", "fabstack.cli.demo", "demo"),
    ("oee", "fabstack.cli.oee", "oee"),
    ("trace", "fabstack.cli.trace", "trace"),
    ("ui", "fabstack.cli.ui", "ui"),
    ("dispatch", "fabstack.cli.dispatch", "dispatch"),
]

for _name, _module in SUBCOMMANDS:
    app.add_typer(importlib.import_module(_module).app, name=_name)
for _name, _module, _func in COMMANDS:
    app.command(_name)(getattr(importlib.import_module(_module), _func))


def run() -> None:
    """Console-script entry: bad input is one line on stderr and exit 2, never a traceback."""
    # Dagster's own @sensor decorator trips its beta notice about `owners`: not ours to act on
    warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDef")
    logging.basicConfig(
        level=os.environ.get("FAB_LOG_LEVEL", "WARNING").upper(), format="%(message)s"
    )
    try:
        app()
    except FabError as exc:
        print(f"fab: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("fab: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("FAB_LOG_LEVEL", "").upper() == "DEBUG":
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"fab: internal error: {type(exc).__name__}: {first} "
            "(set FAB_LOG_LEVEL=DEBUG for the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    run()
