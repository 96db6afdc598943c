"""Named SQL of the simulator, kept in ``queries.sql`` (``-- name: x`` sections)."""

from __future__ import annotations

from pathlib import Path

from fabstack.sqlfile import named_queries

_FILE = Path(__file__).with_name("queries.sql")


def q(name: str) -> str:
    return named_queries(_FILE)[name]
