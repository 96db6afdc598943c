"""Make sure the services the tests talk to are up: PostgreSQL and Mosquitto.

Run by `make test` (and so by `.ci/run`) before pytest. Starts a stopped local PostgreSQL or
Mosquitto with the machine's own service commands, waits until each answers, and creates the
databases the stack uses. Exits non-zero with one line when a service cannot be brought up.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time

from fabstack.services import ensure_database, port_open

PG = ("127.0.0.1", 5432)
MQTT = ("127.0.0.1", 1883)
DATABASES = ("fab", "fab_dagster", "fab_mlflow")


def _start_postgres() -> None:
    clusters = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if clusters and shutil.which("pg_ctlcluster"):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"],
            check=False,
        )


def _start_mosquitto() -> None:
    if shutil.which("mosquitto"):
        conf = "/etc/mosquitto/mosquitto.conf"
        args = ["mosquitto", "-d"] + (["-c", conf] if os.path.exists(conf) else [])
        subprocess.run(args, check=False)


def _ensure(name: str, addr: tuple[str, int], start) -> None:
    if port_open(*addr):
        print(f"prepare: {name} answers on {addr[0]}:{addr[1]}")
        return
    print(f"prepare: {name} is down, starting it")
    start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_open(*addr):
            print(f"prepare: {name} started on {addr[0]}:{addr[1]}")
            return
        time.sleep(0.2)
    sys.exit(f"prepare: {name} does not answer on {addr[0]}:{addr[1]} and could not be started")


def main() -> None:
    _ensure("PostgreSQL", PG, _start_postgres)
    _ensure("Mosquitto", MQTT, _start_mosquitto)
    for database in DATABASES:
        ensure_database(f"postgresql://postgres@{PG[0]}:{PG[1]}/{database}")
    print(f"prepare: databases ready: {', '.join(DATABASES)}")


if __name__ == "__main__":
    main()
