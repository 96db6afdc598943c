"""`fab import wafermaps` (die bin maps landed as sort results) and `fab import klarf` (KLARF
inspection files landed as inspections and defects)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from fabcli.common import console, landing


def wafermaps(
    file: Path = typer.Argument(
        ..., help="Map CSV (train.csv format) or long CSV (wafer,row,col,bin)."
    ),
    test_program: str = typer.Option(
        "IMPORT", "--test-program", help="Test program the maps came from."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Land wafer maps as sort results; re-importing the same file changes nothing."""
    from ingestion.sort.landing import land_maps
    from ingestion.sort.wafer_maps import read_maps

    start = time.perf_counter()
    maps = read_maps(file)
    with landing() as conn:
        result = land_maps(
            conn, maps, source=str(file), test_program=test_program, bin_codes=maps.bin_codes
        )
    seconds = time.perf_counter() - start
    out = {**result.as_dict(), "dies": maps.die_count, "seconds": round(seconds, 3)}
    if as_json:
        typer.echo(json.dumps(out))
        return
    console.print(
        f"{file}: {result.wafers} maps ({maps.die_count:,} dies): {result.new} new, "
        f"{result.changed} changed, {result.unchanged} unchanged; "
        f"{result.dies_written:,} dies written in {seconds:.2f} s"
    )


def klarf(
    target: Path = typer.Argument(..., help="A KLARF 1.2/1.8 file or a folder of them."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Land KLARF inspections and defects; malformed files go to the dead letters (exit 2)."""
    from fabstack.errors import FabError
    from ingestion.klarf.landing import import_klarf

    with landing() as conn:
        result = import_klarf(conn, target)
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        console.print(
            f"{target}: {result.files} files, {result.inspections} inspections "
            f"({result.inspections_new} new), {result.defects} defects ({result.defects_new} new)"
        )
    if result.errors:
        for line in result.errors[:-1]:
            typer.echo(f"fab: error: {line}", err=True)
        more = (
            f" ({len(result.errors)} files to landing.dead_letter)"
            if len(result.errors) > 1
            else ""
        )
        raise FabError(result.errors[-1] + more)
