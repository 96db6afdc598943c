"""`fab import readings|events`: historian exports of readings and events into the landing zone."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from fabcli.common import console, landing, settings
from fabstack.errors import FabError

_SEPARATORS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _options(separator: str, column: list[str], column_map: Path | None):
    from ingestion.historian import ImportOptions, load_column_map, parse_column_options

    sep = _SEPARATORS.get(separator, separator)
    if len(sep) != 1:
        raise FabError(f"--separator: one character (or tab), got {separator!r}")
    columns = load_column_map(column_map) if column_map else {}
    columns.update(parse_column_options(column))
    return ImportOptions(separator=sep, columns=columns, retention_days=settings().retention_days)


def _run(kind: str, path: Path, separator: str, column: list[str], column_map: Path | None):
    from ingestion.historian import find_files, import_files

    files = find_files(path)
    options = _options(separator, column, column_map)
    started = time.perf_counter()
    with (
        landing() as conn,
        Progress(
            TextColumn(f"importing {kind}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(kind, total=None, rate="")

        def advance(rows: int) -> None:
            done = progress.tasks[task].completed + rows
            rate = done / max(time.perf_counter() - started, 1e-6)
            progress.update(task, advance=rows, rate=f"{rate:,.0f} rows/s")

        result = import_files(conn, kind, files, options, advance)
    seconds = time.perf_counter() - started
    console.print(
        f"{kind}: {result.rows:,} rows from {result.files} file(s) in {seconds:.1f} s "
        f"({result.rows / max(seconds, 1e-6):,.0f} rows/s): landed {result.landed:,}, "
        f"already there {result.already:,}, set aside {result.dead_letters:,} "
        f"(landing.dead_letter, source 'import', topic file:line)"
    )
    if result.days:
        console.print(
            f"days touched: {min(result.days)} .. {max(result.days)} "
            f"({len(result.days)}); the landing_arrivals sensor picks them up"
        )


_SEPARATOR = typer.Option(",", help="CSV field separator: one character, or tab/semicolon/pipe")
_COLUMN = typer.Option(
    [], "--column", "-c", help="Map a column: target=column in the file (repeatable)"
)
_COLUMN_MAP = typer.Option(None, help="YAML file of target: column-in-the-file")


def readings(
    path: Path = typer.Argument(..., help="A .csv/.parquet file or a directory of them"),
    separator: str = _SEPARATOR,
    column: list[str] = _COLUMN,
    column_map: Path = _COLUMN_MAP,
) -> None:
    """Sensor readings in long format: ts (with UTC offset), machine, metric, value[, quality]."""
    _run("readings", path, separator, column, column_map)


def events(
    path: Path = typer.Argument(..., help="A .csv/.parquet file or a directory of them"),
    separator: str = _SEPARATOR,
    column: list[str] = _COLUMN,
    column_map: Path = _COLUMN_MAP,
) -> None:
    """Machine events: ts, machine, event (state|failure|maintenance|alarm), code[, severity,
    message]."""
    _run("events", path, separator, column, column_map)
