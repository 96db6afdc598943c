"""The FAB_DBT_* variables dbt/profiles.yml reads, derived from the landing-zone DSN.

No credentials live in the repo: the DSN comes from ``FAB_PG_DSN`` (or the local/embedded
PostgreSQL ``fabstack.services.landing_endpoint`` finds) and is split into the fields a dbt
postgres profile wants.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from fabstack.errors import FabError

STAGING_SCHEMA = "staging"


def dbt_env(dsn: str, schema: str = STAGING_SCHEMA) -> dict[str, str]:
    """Environment for a dbt invocation against the landing zone at ``dsn``."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise FabError(f"landing DSN: expected postgresql://user@host:port/db, got {dsn!r}")
    return {
        "FAB_DBT_HOST": parts.hostname,
        "FAB_DBT_PORT": str(parts.port or 5432),
        "FAB_DBT_USER": unquote(parts.username or "postgres"),
        "FAB_DBT_PASSWORD": unquote(parts.password or ""),
        "FAB_DBT_DBNAME": parts.path.lstrip("/") or "postgres",
        "FAB_DBT_SCHEMA": schema,
    }
