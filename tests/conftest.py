"""Shared fixtures: throwaway databases on the real PostgreSQL, an isolated FAB_HOME."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[1]
# a worktree outside the main checkout points FAB_REFERENCE at the shared reference data
REFERENCE = Path(os.environ.get("FAB_REFERENCE", REPO.parent / "shared" / "reference"))
SERVER_DSN = os.environ.get("FAB_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


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
        seed_plant(conn, load_plant(plant))
        conn.commit()
    return dsn


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
