"""`fab import wafermaps`: die bin maps (WM-811K CSV or long wafer,row,col,bin CSV) landed as
sort results."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from fabstack.cli.common import console, landing


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
    from assets.defects.wafer_maps import read_maps
    from ingestion.sort.landing import land_maps

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
