"""Named queries kept in ``.sql`` files: sections that start with a ``-- name: x`` line."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path


def split_statements(text: str) -> list[str]:
    """Split a .sql file into statements at semicolons that end a line; drop comment-only parts."""
    parts = re.split(r";[ \t]*(?:\n|$)", text)
    out = []
    for part in parts:
        code = "\n".join(
            line for line in part.splitlines() if not line.strip().startswith("--")
        ).strip()
        if code:
            out.append(part.strip())
    return out


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


@cache
def last_statement(path: Path) -> str:
    """The last statement of a ``.sql`` file (header comments and set-up statements before it)."""
    return split_statements(path.read_text())[-1]


class SqlFolder:
    """The ``.sql`` files of one folder, by name without the suffix: ``text`` (a script),
    ``statement`` (its last statement) and ``queries`` (its ``-- name:`` sections)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.sql"

    def text(self, name: str) -> str:
        return _read(self.path(name))

    def statement(self, name: str) -> str:
        return last_statement(self.path(name))

    def queries(self, name: str) -> dict[str, str]:
        return named_queries(self.path(name))

    def lookup(self, name: str) -> Callable[[str], str]:
        """``q(section)``: one ``-- name:`` section of file ``name``, read on first use."""
        return lambda section: self.queries(name)[section]


@cache
def _read(path: Path) -> str:
    return path.read_text()
