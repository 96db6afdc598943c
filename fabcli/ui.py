"""`fab ui`: the Dagster UI (`dagster dev`) on this code location, state under FAB_HOME."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import typer

from fabcli.common import console, settings

REPO = Path(__file__).resolve().parents[1]
WORKSPACE_YAML = REPO / "orchestration" / "workspace.yaml"


def prepare_dagster_home() -> dict[str, str]:
    """DAGSTER_HOME under FAB_HOME with our dagster.yaml, and the env `dagster dev` needs."""
    from fabstack.services import dagster_storage_dsn, redact
    from orchestration.instance import dagster_env

    s = settings()
    env = dagster_env(s)
    console.print(
        f"DAGSTER_HOME={env['DAGSTER_HOME']}; run storage {redact(dagster_storage_dsn(s))}"
    )
    return env


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
    raise typer.Exit(run_process_group(cmd, env=env, cwd=REPO))


def run_process_group(
    cmd: list[str], *, env: dict[str, str], cwd: Path, grace_s: float = 10
) -> int:
    """Run ``cmd`` in its own process group and take the whole group down when we stop.

    `dagster dev` starts a webserver, a daemon and code servers; a SIGTERM to `fab ui` alone
    would orphan them. SIGINT/SIGTERM are forwarded to the group; whatever is still alive
    ``grace_s`` later is killed.
    """
    child = subprocess.Popen(cmd, env=env, cwd=cwd, start_new_session=True)
    stopping = threading.Event()

    def forward(signum: int, _frame: object) -> None:
        stopping.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping.is_set():
            with contextlib.suppress(subprocess.TimeoutExpired):
                return child.wait(timeout=0.5)
        return 128 + signal.SIGTERM
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_group(child, grace_s)


def stop_group(child: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever outlives ``grace_s``."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            child.poll()  # reap the leader, or the group never looks empty
            try:
                os.killpg(child.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
