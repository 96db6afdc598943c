"""`fab mlflow`: the MLflow UI on the model registry (runs, metrics, plots, versions, aliases)."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from fabcli.common import console, landing, settings

app = typer.Typer(help="MLflow: tracking server and model registry UI.", no_args_is_help=True)


@app.command()
def ui(
    port: int = typer.Option(5000, "--port", help="Web UI port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
) -> None:
    """Serve the MLflow UI on the embedded store (fab_mlflow database, FAB_HOME/mlflow)."""
    from assets.maintenance.registry import tracking_uri
    from fabstack.services import ensure_database, redact

    configured = settings().mlflow_tracking_uri
    if configured and configured.startswith("http"):
        console.print(f"FAB_MLFLOW_TRACKING_URI is a server: its UI is at {configured}")
        return
    with landing() as conn:
        uri = tracking_uri(conn)
    ensure_database("postgresql://" + uri.partition("://")[2])
    artifacts = settings().home_dir / "mlflow"
    artifacts.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        uri,
        "--default-artifact-root",
        artifacts.as_uri(),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    console.print(
        f"MLflow UI at http://{host}:{port} on {redact(uri)}, artifacts {artifacts} "
        "(Ctrl-C stops it)"
    )
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    raise typer.Exit(subprocess.call(cmd, env=env))
