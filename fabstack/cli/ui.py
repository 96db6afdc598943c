"""`fab ui`: the Dagster UI (`dagster dev`) on this code location, state under FAB_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer

from fabstack.cli.common import console, settings

REPO = Path(__file__).resolve().parents[2]
DAGSTER_YAML = REPO / "orchestration" / "dagster.yaml"
WORKSPACE_YAML = REPO / "orchestration" / "workspace.yaml"


def dagster_storage_url(dsn: str) -> str:
    """The storage DSN with an explicit psycopg2 driver: SQLAlchemy 2.1 defaults to psycopg 3,
    whose server-side parameters break some of Dagster's daemon queries ("syntax error at $1")."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return dsn
    scheme, sep, rest = dsn.partition("://")
    return f"postgresql+psycopg2://{rest}" if sep and scheme in ("postgresql", "postgres") else dsn


def prepare_dagster_home() -> dict[str, str]:
    """DAGSTER_HOME under FAB_HOME with our dagster.yaml, and the env `dagster dev` needs."""
    from fabstack.services import dagster_storage_dsn, ensure_database, redact

    s = settings()
    home = s.home_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    storage = dagster_storage_dsn(s)
    ensure_database(storage)
    console.print(f"DAGSTER_HOME={home}; run storage {redact(storage)}")
    return {
        "DAGSTER_HOME": str(home),
        "FAB_DAGSTER_STORAGE_URL": dagster_storage_url(storage),
        "FAB_HOME": str(s.home_dir),
    }


def ui(
    port: int = typer.Option(3000, "--port", min=1, max=65535, help="Web UI port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
) -> None:
    """Open the Dagster UI on the fabstack code location (assets, checks, schedules, runs)."""
    env = {**os.environ, **prepare_dagster_home()}
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster if dagster.exists() else "dagster"),
        "dev",
        "-w",
        str(WORKSPACE_YAML),
        "-h",
        host,
        "-p",
        str(port),
    ]
    console.print(f"Dagster UI at http://{host}:{port}  (Ctrl-C stops it)")
    raise typer.Exit(subprocess.call(cmd, env=env, cwd=REPO))
