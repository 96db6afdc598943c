"""Named SQL of the simulator, kept in ``queries.sql`` (``-- name: x`` sections)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_FILE = Path(__file__).with_name("queries.sql")


@cache
def _all() -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    for line in _FILE.read_text().splitlines():
        if line.startswith("-- name:"):
            name = line.split(":", 1)[1].strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return {k: v.strip() for k, v in out.items()}


def q(name: str) -> str:
    return _all()[name]
