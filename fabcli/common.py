"""Pieces every CLI module shares: the console, settings and a landing-zone connection."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import psycopg
from rich.console import Console

from fabstack.calendar import NaiveTime, parse_instant
from fabstack.errors import FabError
from fabstack.services import landing_endpoint
from fabstack.settings import Settings, load_settings

console = Console()


def settings() -> Settings:
    return load_settings()


@contextmanager
def landing(start: bool = True, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    """A connection to the landing zone, starting the embedded server if nothing else answers."""
    from ingestion.landing.db import connect

    endpoint = landing_endpoint(settings(), start=start)
    with connect(endpoint.url, autocommit=autocommit) as conn:
        yield conn


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


FIRST_YEAR, LAST_YEAR = 1970, 2200  # plant time: nothing runs at the calendar's edges


def check_year(option: str, moment: date | datetime, shown: str | None = None) -> None:
    """A time or day a person gives must fall in 1970..2200: year 1 or 9999 overflows every
    window computed around it (and a range between them never ends)."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise FabError(
            f"{option}: {shown or moment.isoformat()!r} is in year {moment.year}; "
            f"expected {FIRST_YEAR}..{LAST_YEAR}"
        )


def time_option(option: str, text: str) -> datetime:
    """A time a person gives on the command line: ISO 8601 with its offset, in 1970..2200."""
    try:
        moment = parse_instant(text)
    except NaiveTime:
        raise FabError(f"{option}: needs a UTC offset (e.g. {text}Z), got {text!r}") from None
    except ValueError:
        raise FabError(f"{option}: not an ISO 8601 time: {text!r}") from None
    check_year(option, moment, text)
    return moment


def check_number(
    option: str,
    value: float,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
) -> float:
    """A numeric option that must be finite and in range (nan, inf and 1e999 are not numbers a
    person means); anything else is one FabError naming the option and the value."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FabError(f"{option}: must be a finite number, got {value}")
    shown = value if isinstance(value, int) else f"{value:g}"  # a 400-digit int has no :g
    if above is not None and not value > above:
        raise FabError(f"{option}: must be > {above:g}, got {shown}")
    if at_least is not None and value < at_least:
        raise FabError(f"{option}: must be >= {at_least:g}, got {shown}")
    if at_most is not None and value > at_most:
        raise FabError(f"{option}: must be <= {at_most:g}, got {shown}")
    return value
