"""Named SQL of the forecasting loader, kept in ``queries.sql``."""

from __future__ import annotations

from pathlib import Path

from fabstack.sqlfile import SqlFolder

q = SqlFolder(Path(__file__).parent).lookup("queries")
