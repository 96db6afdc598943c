"""The `fab` entry point run in-process with a deadline: the bad-input suites' harness.

In-process (no interpreter start per case) keeps hundreds of generated cases fast; a worker
thread with a join deadline turns a hang into a failed test instead of a stuck CI job."""

from __future__ import annotations

import io
import os
import threading
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

# Nothing answers on port 1: a command that reaches for a service fails fast with exit 2.
DEAD_SERVICES = {
    "FAB_PG_DSN": "postgresql://postgres@127.0.0.1:1/fab",
    "FAB_MQTT_URL": "mqtt://127.0.0.1:1",
}


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()

    def assert_contract(self) -> None:
        """Exit 0, or exit 2 with exactly one line on stderr; never 1, never a traceback."""
        assert self.code in (0, 2), f"fab {' '.join(self.args)} exited {self.code}: {self.err}"
        assert "Traceback" not in self.err, self.err
        if self.code == 2:
            assert len(self.err_lines) == 1, f"fab {' '.join(self.args)}: {self.err!r}"
            assert self.err_lines[0].startswith("fab: error: "), self.err

    def assert_refused(self, *fragments: str) -> None:
        """Exit 2 with one line naming each of ``fragments``."""
        self.assert_contract()
        assert self.code == 2, f"fab {' '.join(self.args)} was accepted: {self.out[-400:]}"
        for fragment in fragments:
            assert fragment in self.err, f"{fragment!r} not in {self.err!r}"


_lock = threading.Lock()  # stdout/stderr redirection is process-wide: one run at a time


def fab(*args: str | Path, deadline_s: float = 20.0) -> Outcome:
    """Run `fab ARGS` in-process; fail the test if it has not returned within ``deadline_s``."""
    from fabcli.main import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    box: dict[str, object] = {}

    def target() -> None:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                box["code"] = main(argv)
            except BaseException as exc:  # noqa: BLE001 - SystemExit or a raised bug, reported below
                box["raised"] = exc

    with _lock:
        worker = threading.Thread(target=target, daemon=True)
        worker.start()
        worker.join(deadline_s)
    if worker.is_alive():
        raise AssertionError(f"fab {' '.join(argv)} still running after {deadline_s} s (a hang)")
    if "raised" in box:
        raise AssertionError(f"fab {' '.join(argv)} raised {box['raised']!r}")
    return Outcome(tuple(argv), int(box["code"]), out.getvalue(), err.getvalue())


def isolated_env(monkeypatch, home: Path) -> None:
    """A private FAB_HOME and unreachable services for one test."""
    for key in [k for k in os.environ if k.startswith("FAB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("FAB_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    for key, value in DEAD_SERVICES.items():
        monkeypatch.setenv(key, value)
