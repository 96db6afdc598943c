"""The code location: every domain's assets merged with shared resources, jobs and triggers.

Add a domain by writing ``assets/<domain>/definitions.py`` with ``defs = dg.Definitions(...)``
(assets, asset checks, domain-specific jobs or schedules; no resources, no executor) and
appending ``"<domain>"`` to ``DOMAINS``. Resources ``landing``, ``warehouse`` and ``dbt`` are
bound for all domains (assets/resources.py); the daily job ``fab_daily`` picks up every
asset partitioned by ``assets.partitions.daily_partitions()``.

Run it: ``dagster dev -m orchestration.definitions`` (or ``fab ui``).
"""

from __future__ import annotations

from orchestration.location import build_definitions

# Domains merged into the code location, each `assets/<name>/definitions.py` exposing `defs`.
DOMAINS: list[str] = [
    "warehouse",
    "landing",
    "dbt",
    "data_quality",
    "maintenance",
    "oee",
    "spc",
    "defects",
    "planning",
    "forecasting",
    "fact_checks",
]

defs = build_definitions(DOMAINS)
