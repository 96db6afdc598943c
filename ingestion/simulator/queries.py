"""Named SQL of the simulator, kept in ``queries.sql`` (``-- name: x`` sections)."""

from __future__ import annotations

from pathlib import Path

from fabstack.sqlfile import SqlFolder

q = SqlFolder(Path(__file__).parent).lookup("queries")
