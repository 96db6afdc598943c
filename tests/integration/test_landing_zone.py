"""Landing zone on the real PostgreSQL: migrations, day partitions, unique keys, seeding."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from fabstack.errors import FabError
from ingestion.landing.db import storage_mode
from ingestion.landing.migrate import MIGRATIONS_DIR, migrate
from ingestion.landing.seed import seed_plant
from ingestion.plant import load_plant
from ingestion.sink import LandingSink
from tests.conftest import server_mode


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
        if storage_mode(conn) == "timescale":  # each row in the 1-day chunk spanning its UTC day
            placed = conn.execute(
                """SELECT r.ts, c.range_start, c.range_end FROM landing.sensor_reading r
                   JOIN timescaledb_information.chunks c
                     ON format('%I.%I', c.chunk_schema, c.chunk_name)::regclass = r.tableoid
                   ORDER BY r.ts"""
            ).fetchall()
            assert len(placed) == 30
            for ts, lo, hi in placed:
                assert hi - lo == timedelta(days=1)
                assert lo == ts.astimezone(UTC).replace(hour=0, minute=0) and lo <= ts < hi
            return
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


def test_optimistic_binary_copy_lands_exact_values_and_falls_back(landing_dsn: str) -> None:
    ts = datetime(2026, 11, 1, 8, 0, 0, 123456, tzinfo=UTC)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        sink = LandingSink(conn)
        first = [(ts, "ETCH-01", "t", 175.25, 0), (ts, "ETCH-01", "p", 3, -(1 << 31))]
        assert sink.write_many({"sensor_reading": first}, optimistic=True) == {"sensor_reading": 2}
        # one row already there: the staged ON CONFLICT path lands only the new one
        again = [first[0], (ts, "ETCH-01", "v", 0.5, (1 << 31) - 1)]
        assert sink.write_many({"sensor_reading": again}, optimistic=True)["sensor_reading"] == 1
        # a naive timestamp cannot go binary: text COPY lands it (read in the session's UTC)
        naive = [(datetime(2026, 11, 1, 9, 0), "ETCH-01", "t", 1.0, 0)]
        assert sink.write_many({"sensor_reading": naive}, optimistic=True)["sensor_reading"] == 1
        # a quality beyond int4 is refused by the database, never truncated
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            sink.write_many({"sensor_reading": [(ts, "ETCH-01", "q", 1.0, 1 << 31)]}, True)
        rows = conn.execute(
            "SELECT ts, metric, value, quality FROM landing.sensor_reading ORDER BY ts, metric"
        ).fetchall()
    assert rows == [
        (ts, "p", 3.0, -(1 << 31)),
        (ts, "t", 175.25, 0),
        (ts, "v", 0.5, (1 << 31) - 1),
        (datetime(2026, 11, 1, 9, 0, tzinfo=UTC), "t", 1.0, 0),
    ]


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


def test_recipe_spec_limits_arrive_by_migration_0009_and_seeding(
    tmp_path: Path, empty_db: str
) -> None:
    """A landing zone at 0008 takes 0009 alone; seeding then stores each recipe's spec limits
    with the target filled in from the setpoint; the column holds only JSON objects."""
    for f in MIGRATIONS_DIR.glob("000[1-8]_*.sql"):
        shutil.copy(f, tmp_path / f.name)
    with psycopg.connect(empty_db) as conn:
        assert [m.version for m in migrate(conn, tmp_path)][-1] == 8
        later = [(m.version, m.name) for m in migrate(conn)]
        assert later[0] == (9, "recipe_spec_limits")
        assert [v for v, _ in later] == list(range(9, 9 + len(later)))
        seed_plant(conn, load_plant("demo"))
        specs = dict(conn.execute("SELECT recipe_id, spec_limits FROM landing.recipe").fetchall())
        assert specs["LITHO-M2"] == {
            "critical_dimension_nm": {"lsl": 31.35, "usl": 32.65, "target": 32.0, "unit": "nm"}
        }
        assert specs["CMP-STD"] == {}
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "UPDATE landing.recipe SET spec_limits = '[1, 2]' WHERE recipe_id = 'CMP-STD'"
            )


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
    """Native: old day partitions go, those made ahead stay. TimescaleDB: drop_chunks drops
    the old chunks and the count is the chunks really dropped; a recent chunk stays."""
    from ingestion.landing.migrate import apply_retention

    now = datetime.now(UTC)
    old = [now - timedelta(days=120), now - timedelta(days=119), now - timedelta(days=100)]
    with psycopg.connect(landing_dsn) as conn:
        rows = [(ts, "ETCH-01", "temperature", 1.0, 0) for ts in [*old, now - timedelta(days=1)]]
        LandingSink(conn).write("sensor_reading", rows)
        mode = storage_mode(conn)
        children = (
            "SELECT count(*) FROM timescaledb_information.chunks "
            "WHERE hypertable_schema = 'landing'"
            if mode == "timescale"
            else "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE c.relnamespace = 'landing'::regnamespace AND c.relkind = 'r'"
        )
        (before,) = conn.execute(children).fetchone()
        dropped = apply_retention(conn, keep_days=90)
        (after,) = conn.execute(children).fetchone()
        assert dropped == before - after  # the count is what really went
        assert dropped >= 3  # one per old day of sensor_reading
        (n,) = conn.execute("SELECT count(*) FROM landing.sensor_reading").fetchone()
        assert apply_retention(conn, keep_days=90) == 0  # nothing left to drop
        if mode == "native":
            recent = conn.execute(
                "SELECT count(*) FROM pg_inherits "
                "WHERE inhparent = 'landing.sensor_reading'::regclass"
            ).fetchone()[0]
            assert recent >= 7  # partitions made ahead survive
    assert n == 1  # the recent reading stays


def test_status_row_estimates_see_every_partition_or_chunk(landing_dsn: str) -> None:
    """Above the exact-count threshold `fab db status` trusts statistics: they must cover the
    day partitions (native) or the chunks (TimescaleDB, which pg_partition_tree cannot see)."""
    from ingestion.landing.status import row_estimate

    start = datetime.now(UTC) - timedelta(days=3)
    rows = [(start + timedelta(seconds=i), "ETCH-01", "temperature", 1.0, 0) for i in range(3000)]
    rows += [
        (start + timedelta(days=2, seconds=i), "ETCH-01", "pressure", 1.0, 0) for i in range(2000)
    ]
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        LandingSink(conn).write("sensor_reading", rows)
        conn.execute("ANALYZE landing.sensor_reading")
        estimate = row_estimate(conn, storage_mode(conn), "landing.sensor_reading")
    assert estimate == pytest.approx(5000, rel=0.05)


@pytest.mark.skipif(server_mode() == "timescale", reason="needs a server without timescaledb")
def test_timescale_mode_without_the_extension_is_refused_before_anything_runs(
    empty_db: str,
) -> None:
    with psycopg.connect(empty_db) as conn:
        with pytest.raises(FabError, match="timescaledb extension is absent"):
            migrate(conn, mode="timescale")
        assert conn.execute("SELECT to_regclass('landing.schema_migrations')").fetchone()[0] is None
