"""Pieces every CLI module shares: the console, settings and a landing-zone connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from rich.console import Console

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
