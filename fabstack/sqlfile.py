"""Named queries kept in ``.sql`` files: sections that start with a ``-- name: x`` line."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def named_queries(path: Path) -> dict[str, str]:
    """Each ``-- name: x`` section of the file, stripped and without its final ``;``."""
    out: dict[str, str] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith("-- name:"):
            name = line.split(":", 1)[1].strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return {k: v.strip().rstrip(";").rstrip() for k, v in out.items()}


@cache
def sql_file(path: Path) -> str:
    """A one-statement ``.sql`` file's text, without its final ``;`` (drivers take one)."""
    return path.read_text().strip().rstrip(";").rstrip()
