"""`fab`: the one command a person runs. Each subcommand group lives in its own module."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence

import typer

# typer vendors click (0.2x): its usage errors are these classes, not the `click` package's
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

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
    ("services", "fabcli.services"),
    ("db", "fabcli.db"),
    ("warehouse", "fabcli.warehouse"),
    ("simulate", "fabcli.simulate"),
    ("plan", "fabcli.plan"),
    ("ingest", "fabcli.ingest"),
    ("import", "fabcli.imports"),
    ("spc", "fabcli.spc"),
    ("boards", "fabcli.boards"),
    ("model", "fabcli.model"),
    ("broker", "fabcli.broker"),
    ("mlflow", "fabcli.tracking"),
    ("defects", "fabcli.defects"),
    ("import", "fabcli.imports"),
]
# (name, module, function): single commands at the top level.
COMMANDS: list[tuple[str, str, str]] = [
    ("demo", "fabcli.demo", "demo"),
    ("oee", "fabcli.oee", "oee"),
    ("trace", "fabcli.trace", "trace"),
    ("ui", "fabcli.ui", "ui"),
    ("dispatch", "fabcli.dispatch", "dispatch"),
]

for _name, _module in SUBCOMMANDS:
    app.add_typer(importlib.import_module(_module).app, name=_name)
for _name, _module, _func in COMMANDS:
    app.command(_name)(getattr(importlib.import_module(_module), _func))


def usage_line(exc: UsageError) -> str:
    """Click's usage error as one line: which command, what is wrong, where help is."""
    path = exc.ctx.command_path if exc.ctx is not None else "fab"
    where = path.removeprefix("fab").strip()
    message = " ".join(exc.format_message().split())
    return f"fab: error: {where + ': ' if where else ''}{message} (see `{path} --help`)"


def _warning_to_debug_log(message, category, filename, lineno, file=None, line=None) -> None:
    """Library warnings (numpy's overflow notices, say) are for debugging, not stderr: the
    answer or the one error line is what the user reads."""
    logging.getLogger("fab.warnings").debug(
        "%s: %s (%s:%s)", category.__name__, message, filename, lineno
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run `fab` on ``argv`` and return the exit code: 0, or 2 with one line on stderr for any
    bad input (click's usage errors included), 1 only for a bug."""
    with warnings.catch_warnings():
        warnings.showwarning = _warning_to_debug_log
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        rv = app(args=argv, prog_name="fab", standalone_mode=False)
        # commands return None; an int here is the code of a typer.Exit raised inside one
        return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    except NoArgsIsHelpError as exc:  # a bare group: its help is the answer
        if exc.format_message().strip():  # typer's rich help has printed itself already
            print(exc.format_message())
        return 0
    except UsageError as exc:
        print(usage_line(exc), file=sys.stderr)
        return 2
    except ClickException as exc:
        print(f"fab: error: {' '.join(exc.format_message().split())}", file=sys.stderr)
        return 2
    except FabError as exc:
        print(f"fab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        print("fab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("FAB_LOG_LEVEL", "").upper() == "DEBUG":
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"fab: internal error: {type(exc).__name__}: {first} "
            "(set FAB_LOG_LEVEL=DEBUG for the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    """Console-script entry: bad input is one line on stderr and exit 2, never a traceback."""
    # Dagster's own @sensor decorator trips its beta notice about `owners`: not ours to act on
    warnings.filterwarnings("ignore", message="Parameter `owners` of initializer `SensorDef")
    logging.basicConfig(
        level=os.environ.get("FAB_LOG_LEVEL", "WARNING").upper(), format="%(message)s"
    )
    sys.exit(main())


if __name__ == "__main__":
    run()
