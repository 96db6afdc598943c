"""The persistent Dagster instance under FAB_HOME: what `fab ui`, `fab demo` and `fab warehouse
build` share, so runs made from the CLI show in the UI with their metadata and checks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from fabstack.services import dagster_storage_dsn, ensure_database
from fabstack.settings import Settings, get_settings

DAGSTER_YAML = Path(__file__).resolve().parent / "dagster.yaml"


def dagster_storage_url(dsn: str) -> str:
    """The storage DSN with an explicit psycopg2 driver: SQLAlchemy 2.1 defaults to psycopg 3,
    whose server-side parameters break some of Dagster's daemon queries ("syntax error at $1")."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return dsn
    scheme, sep, rest = dsn.partition("://")
    return f"postgresql+psycopg2://{rest}" if sep and scheme in ("postgresql", "postgres") else dsn


def dagster_home(settings: Settings | None = None) -> Path:
    """DAGSTER_HOME (FAB_HOME/dagster) holding our dagster.yaml; its storage database exists."""
    settings = settings or get_settings()
    home = settings.home_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    ensure_database(dagster_storage_dsn(settings))
    return home


def dagster_env(settings: Settings | None = None) -> dict[str, str]:
    """The environment a Dagster process (`dagster dev`, the daemon) needs for our instance."""
    settings = settings or get_settings()
    return {
        "DAGSTER_HOME": str(dagster_home(settings)),
        "FAB_DAGSTER_STORAGE_URL": dagster_storage_url(dagster_storage_dsn(settings)),
        "FAB_HOME": str(settings.home_dir),
    }


@contextmanager
def persistent_instance(settings: Settings | None = None) -> Iterator[dg.DagsterInstance]:
    """The instance `fab ui` reads (runs and events in PostgreSQL), for in-process runs."""
    env = dagster_env(settings)
    # dagster.yaml reads the storage URL from the environment
    os.environ["FAB_DAGSTER_STORAGE_URL"] = env["FAB_DAGSTER_STORAGE_URL"]
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        yield instance
    finally:
        instance.dispose()
