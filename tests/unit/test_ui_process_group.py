"""`fab ui` runs `dagster dev` in its own process group and takes the whole group down when it
stops. Real processes stand in for `dagster dev`: a shell that ignores SIGTERM and has children
of its own, as the webserver, daemon and code servers are."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.conftest import wait_for

# ignores SIGTERM, like a child that is slow to shut down, and starts two grandchildren
STUBBORN = ["bash", "-c", "trap '' TERM; sleep 300 & sleep 300 & wait"]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _members(pgid: int) -> int:
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout
    return len(out.split())


def test_stop_group_kills_what_ignores_sigterm() -> None:
    from fabcli.ui import stop_group

    child = subprocess.Popen(STUBBORN, start_new_session=True)
    wait_for(lambda: _members(child.pid) == 3, what="the shell and its two sleeps")
    stop_group(child, grace_s=0.5)
    assert not _group_alive(child.pid)


def test_sigterm_to_fab_ui_takes_the_whole_group_down() -> None:
    code = (
        "import os, sys; from pathlib import Path; from fabcli.ui import run_process_group;"
        f" sys.exit(run_process_group({STUBBORN!r}, env=dict(os.environ), cwd=Path('.'),"
        " grace_s=0.5))"
    )
    ui = subprocess.Popen([sys.executable, "-c", code])
    try:

        def group() -> int | None:
            out = subprocess.run(
                ["pgrep", "-P", str(ui.pid)], capture_output=True, text=True
            ).stdout.split()
            return int(out[0]) if out and _members(int(out[0])) == 3 else None

        pgid = wait_for(group, timeout=20, what="fab ui's child group")
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=20) == 128 + signal.SIGTERM
        assert not _group_alive(pgid)
    finally:
        if ui.poll() is None:
            ui.kill()
