"""Shared fixtures: throwaway databases on the real PostgreSQL, an isolated FAB_HOME."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"
# The servers under test. Point FAB_TEST_PG_DSN at a TimescaleDB to run the suite in that mode.
SERVER_DSN = os.environ.get("FAB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
MQTT_URL = os.environ.get("FAB_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
# Landing tables the simulator fills on every simulated day (alarms need a failure: rare).
SIMULATED_EVERY_DAY = (
    "sensor_reading",
    "machine_state",
    "production_count",
    "lot_move",
    "process_measurement",
    "inspection",
    "defect",
)


def broker_address() -> tuple[str, int]:
    """(host, port) of the test broker named by FAB_TEST_MQTT_URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(MQTT_URL)
    return parts.hostname or "127.0.0.1", parts.port or 1883


def server_mode() -> str:
    """The storage mode a new test database gets: ``timescale`` when the server has the
    extension, else ``native``. Tests whose expectations differ by mode branch on it."""
    from ingestion.landing.db import timescale_available

    with psycopg.connect(SERVER_DSN) as conn:
        return "timescale" if timescale_available(conn) else "native"


def _dsn_for(database: str) -> str:
    from fabstack.services import with_database

    return with_database(SERVER_DSN, database)


def create_database(prefix: str = "fabtest") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _dsn_for(name)


def drop_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(SERVER_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_db() -> Iterator[str]:
    """DSN of a brand-new empty database, dropped afterwards."""
    dsn = create_database()
    yield dsn
    drop_database(dsn)


def migrated_and_seeded(plant: str = "demo") -> str:
    from ingestion.landing.migrate import migrate
    from ingestion.landing.seed import seed_plant
    from ingestion.plant import load_plant

    dsn = create_database()
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        pause_retention(conn)
        seed_plant(conn, load_plant(plant))
        conn.commit()
    return dsn


def pause_retention(conn: psycopg.Connection) -> int:
    """TimescaleDB mode: stop the retention policies of a test database, so a policy run can't
    delete fixture rows dated more than 90 days back (a no-op on plain PostgreSQL)."""
    from ingestion.landing.db import storage_mode
    from ingestion.landing.timescale import set_jobs_scheduled

    if storage_mode(conn) != "timescale":
        return 0
    with conn.transaction():
        return set_jobs_scheduled(conn, "policy_retention", False)


@pytest.fixture
def landing_dsn() -> Iterator[str]:
    """DSN of a fresh landing zone: migrated and seeded with the demo plant."""
    dsn = migrated_and_seeded()
    yield dsn
    drop_database(dsn)


@pytest.fixture(scope="module")
def module_landing_dsn() -> Iterator[str]:
    """Like ``landing_dsn`` but shared by one test module (for slower set-ups)."""
    dsn = migrated_and_seeded()
    yield dsn
    drop_database(dsn)


@pytest.fixture
def fab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated FAB_HOME, with the settings cache cleared."""
    from fabstack.settings import get_settings

    home = tmp_path / "fab_home"
    monkeypatch.setenv("FAB_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def mlflow_template() -> Iterator[str]:
    """A database with MLflow's tables, created once (MLflow's migrations take seconds), copied
    per test. Initialised in a subprocess so no connection to it stays open."""
    import subprocess
    import sys

    dsn = create_database("fabmlflowtpl")
    uri = "postgresql+psycopg://" + dsn.partition("://")[2]
    init = (
        "import sys; from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore; "
        "SqlAlchemyStore(sys.argv[1], sys.argv[2])"
    )
    subprocess.run([sys.executable, "-c", init, uri, "/tmp"], check=True, capture_output=True)
    yield dsn.rsplit("/", 1)[1]
    drop_database(dsn)


@pytest.fixture
def mlflow_tracking(mlflow_template: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway MLflow backend database; FAB_MLFLOW_TRACKING_URI points at it."""
    from fabstack.settings import get_settings

    name = f"fabmlflow_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{mlflow_template}"')
    dsn = _dsn_for(name)
    uri = "postgresql+psycopg://" + dsn.partition("://")[2]
    monkeypatch.setenv("FAB_MLFLOW_TRACKING_URI", uri)
    get_settings.cache_clear()
    yield uri
    get_settings.cache_clear()
    drop_database(dsn)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 below the kernel's ephemeral range (32768+), so outgoing
    connections (which take ephemeral ports) cannot grab it between this call and the bind."""
    import random
    import socket

    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 32_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found in 20000-32000")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; fail the test with ``what`` after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


_FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "conformance": "conformance"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers follow the folder a test lives in (`pytest -m unit` runs tests/unit only)."""
    tests = Path(__file__).parent
    for item in items:
        folder = Path(item.fspath).relative_to(tests).parts[0]
        if folder in _FOLDER_MARKERS:
            item.add_marker(_FOLDER_MARKERS[folder])
