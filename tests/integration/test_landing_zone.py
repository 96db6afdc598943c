"""Landing zone on the real PostgreSQL: migrations, day partitions, unique keys, seeding."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from fabstack.errors import FabError
from ingestion.landing.migrate import MIGRATIONS_DIR, migrate
from ingestion.landing.seed import seed_plant
from ingestion.plant import load_plant
from ingestion.sink import LandingSink

pytestmark = pytest.mark.integration


def _snapshot(conn: psycopg.Connection) -> dict[str, list]:
    """Every landing table's rows with their xmin, so any rewrite shows."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'landing' ORDER BY 1"
        )
    ]
    return {
        t: sorted(map(str, conn.execute(f"SELECT xmin, * FROM landing.{t}").fetchall()))
        for t in tables
    }


def test_migrating_twice_is_a_no_op(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        first = migrate(conn)
        assert [m.version for m in first] == list(range(1, len(first) + 1))
        before = _snapshot(conn)
        assert migrate(conn) == []
        assert _snapshot(conn) == before
        (n,) = conn.execute("SELECT count(*) FROM landing.schema_migrations").fetchone()
        assert n == len(first)


def test_thirty_days_land_in_their_day_partitions(landing_dsn: str) -> None:
    start = datetime(2026, 10, 1, 23, 30, tzinfo=UTC)
    rows = [(start + timedelta(days=d), "ETCH-01", "temperature", 175.0 + d, 0) for d in range(30)]
    with psycopg.connect(landing_dsn) as conn:
        assert LandingSink(conn).write("sensor_reading", rows) == 30
        placed = conn.execute(
            "SELECT tableoid::regclass::text, ts FROM landing.sensor_reading ORDER BY ts"
        ).fetchall()
    assert len(placed) == 30
    for partition, ts in placed:
        assert partition == f"landing.sensor_reading_p{ts.astimezone(UTC):%Y%m%d}"


def test_duplicates_land_once(landing_dsn: str) -> None:
    ts = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    rows = [(ts, "ETCH-01", "temperature", 175.0, 0), (ts, "ETCH-01", "pressure", 30.0, 0)]
    with psycopg.connect(landing_dsn) as conn:
        sink = LandingSink(conn)
        assert sink.write("sensor_reading", rows) == 2
        assert sink.write("sensor_reading", rows + rows) == 0  # re-delivery, twice over
        (n,) = conn.execute("SELECT count(*) FROM landing.sensor_reading").fetchone()
        assert n == 2
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO landing.machine_state (ts, machine_id, state, reason_code) "
                "VALUES (%s, 'ETCH-01', 'RUNNING', 'RUN'), (%s, 'ETCH-01', 'DOWN', 'WEAR_OUT')",
                (ts, ts),
            )


def test_seeding_twice_changes_nothing(landing_dsn: str) -> None:
    with psycopg.connect(landing_dsn) as conn:
        before = _snapshot(conn)
        seed_plant(conn, load_plant("demo"))
        assert _snapshot(conn) == before
        machines = {r[0] for r in conn.execute("SELECT machine_id FROM landing.machine")}
    for required in (
        "LITHO-01",
        "LITHO-02",
        "ETCH-01",
        "ETCH-02",
        "DEP-01",
        "DEP-02",
        "CMP-01",
        "CLEAN-01",
        "INSP-01",
        "INSP-02",
    ):
        assert required in machines


def test_fab50_plant_seeds_fifty_machines(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        migrate(conn)
        counts = seed_plant(conn, load_plant("fab50"))
    assert counts["machine"] == 50


def test_migration_gap_is_refused(tmp_path: Path, empty_db: str) -> None:
    for f in MIGRATIONS_DIR.glob("000[13]*.sql"):
        shutil.copy(f, tmp_path / f.name)
    with psycopg.connect(empty_db) as conn, pytest.raises(FabError, match="0002 is missing"):
        migrate(conn, tmp_path)


def test_failed_migration_rolls_back_whole(tmp_path: Path, empty_db: str) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE landing.ok (x int);")
    (tmp_path / "0002_bad.sql").write_text(
        "CREATE TABLE landing.half (x int);\nINSERT INTO landing.nope VALUES (1);"
    )
    with psycopg.connect(empty_db) as conn:
        with pytest.raises(FabError, match="0002_bad.sql.*rolled back"):
            migrate(conn, tmp_path)
        assert conn.execute("SELECT to_regclass('landing.half')").fetchone()[0] is None
        assert conn.execute("SELECT to_regclass('landing.ok')").fetchone()[0] is not None
        versions = [r[0] for r in conn.execute("SELECT version FROM landing.schema_migrations")]
    assert versions == [1]


def test_retention_drops_only_old_partitions(landing_dsn: str) -> None:
    from ingestion.landing.migrate import apply_retention

    old = datetime.now(UTC) - timedelta(days=120)
    with psycopg.connect(landing_dsn) as conn:
        LandingSink(conn).write("sensor_reading", [(old, "ETCH-01", "temperature", 1.0, 0)])
        dropped = apply_retention(conn, keep_days=90)
        assert dropped >= 1
        (n,) = conn.execute("SELECT count(*) FROM landing.sensor_reading").fetchone()
        recent = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'landing.sensor_reading'::regclass"
        ).fetchone()[0]
    assert n == 0
    assert recent >= 7  # partitions made ahead survive
