"""Faults the red team found (issue 18): a poison row, a flusher whose database and spool both
fail, shutdown while stalled, conflicting duplicates over MQTT, and status counters that must
equal what the tables hold."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime, timedelta

import orjson
import psycopg

from ingestion.stream.committer import Committer
from ingestion.stream.spool import Spool
from tests.integration import ingest_support as support

READINGS = "SELECT count(*) FROM landing.sensor_reading"
DISTINCT = "SELECT count(DISTINCT (machine_id, metric, ts)) FROM landing.sensor_reading"
STATUS = "SELECT rows_total, dead_letters_total FROM landing.ingest_status WHERE ingestor = %s"


def _transactions(dsn: str) -> int:
    """Commits + rollbacks of the test database so far (pg_stat_database)."""
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        return conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()[0]


def test_poison_row_is_isolated_by_bisection_and_counted(landing_dsn, tmp_path):
    """One row the database refuses among 20,000: 19,999 land, the one is a JSON db_refused
    dead letter with a dedupe key, in a few dozen transactions (before: 20,000, one per row,
    and the dead letter a Python repr with no key, not counted in the status)."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    rows = [(t0 + timedelta(milliseconds=i), "ETCH-01", "pressure", 30.0, 0) for i in range(20_000)]
    rows[12_345] = (*rows[12_345][:4], 1 << 40)  # quality beyond int4: refused by PostgreSQL
    committer = Committer(landing_dsn, Spool(tmp_path / "spool"), name="mqtt:poison")
    before = _transactions(landing_dsn)
    try:
        result = committer.commit({"sensor_reading": rows}, [])
        again = committer.commit({"sensor_reading": rows}, [])  # a redelivery changes nothing
    finally:
        committer.close()
    assert (result.landed, result.dead_lettered) == (19_999, 1)
    assert (again.landed, again.dead_lettered) == (0, 0)
    assert _transactions(landing_dsn) - before < 200
    assert support.scalar(landing_dsn, READINGS) == 19_999
    with psycopg.connect(landing_dsn) as conn:
        [(topic, payload, error, key)] = conn.execute(
            "SELECT topic, payload, error, dedupe_key FROM landing.dead_letter"
        ).fetchall()
        counted = conn.execute(STATUS, ("mqtt:poison",)).fetchone()
    assert topic == "sensor_reading" and key
    assert error.startswith('db_refused: sensor_reading: value "1099511627776" is out of range')
    assert orjson.loads(payload)["row"]["quality"] == 1 << 40
    assert counted == (19_999, 1)


def test_flusher_survives_database_and_spool_failing_together(landing_dsn, tmp_path):
    """Database cut AND spool unwritable: the flusher holds the batch, says why (last_error,
    stalled_since), retries, and lands everything exactly once within 10 s of both coming
    back (before: the flusher died silently and the ingestor stalled for good)."""
    site = support.unique_site()
    base = support.now_ms()
    msgs = [support.telemetry_message(site, "ETCH-01", i, base + i, readings=5) for i in range(600)]
    spool_dir = tmp_path / "spool"

    async def scenario() -> None:
        proxy = await support.TcpProxy(5432).start()
        ing = support.make_ingestor(
            landing_dsn, spool_dir, site, commit_dsn=support.via_port(landing_dsn, proxy.port)
        )
        try:
            async with support.running(ing), support.publisher() as pub:
                for m in msgs[:200]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: support.scalar(landing_dsn, READINGS) == 1000, what="first third"
                )
                await proxy.cut()
                shutil.rmtree(spool_dir)
                spool_dir.write_text("not a directory")  # unwritable, even for root
                for m in msgs[200:400]:
                    await pub.publish(*m, qos=1)
                await support.until(lambda: ing.pipeline.stalled_since is not None, what="stalled")
                status = ing.pipeline.status()
                assert "SpoolError" in status["last_error"], status["last_error"]
                assert status["stalled_since"] is not None
                assert support.scalar(landing_dsn, READINGS) == 1000
                spool_dir.unlink()
                spool_dir.mkdir()
                await proxy.restore()
                restored = time.monotonic()
                for m in msgs[400:]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: support.scalar(landing_dsn, READINGS) == 3000,
                    timeout=10,
                    what="all 3000 readings within 10 s of recovery",
                )
                assert time.monotonic() - restored < 10
                await support.until(lambda: ing.pipeline.stalled_since is None, what="not stalled")
                await support.until(lambda: ing.committer.spool.depth == 0, what="spool drained")
                await support.until(
                    lambda: support.scalar(landing_dsn, STATUS, (ing.name,)) == 3000,
                    what="status rows_total == table",
                )
        finally:
            await proxy.close()

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, DISTINCT) == support.scalar(landing_dsn, READINGS) == 3000


def test_stop_while_stalled_returns_within_seconds(landing_dsn, tmp_path):
    """SIGTERM (stop) while the batch can be neither committed nor spooled and the producer
    waits for room: the ingestor returns in seconds (before: blocked in room() for good)."""
    site = support.unique_site()
    base = support.now_ms()
    spool_dir = tmp_path / "spool"

    async def scenario() -> float:
        from ingestion.stream.pipeline import BatchLimits

        proxy = await support.TcpProxy(5432).start()
        ing = support.make_ingestor(
            landing_dsn,
            spool_dir,
            site,
            commit_dsn=support.via_port(landing_dsn, proxy.port),
            limits=BatchLimits(max_messages=5, max_age_s=0.02),  # broker: 20 in flight
        )
        task = asyncio.create_task(ing.run())
        try:
            await asyncio.wait_for(ing.subscribed.wait(), 10)
            await proxy.cut()
            shutil.rmtree(spool_dir)
            spool_dir.write_text("not a directory")
            async with support.publisher() as pub:
                for i in range(200):
                    await pub.publish(
                        *support.telemetry_message(site, "ETCH-01", i, base + i), qos=1
                    )
            await support.until(lambda: ing.pipeline.stalled_since is not None, what="stalled")
            await support.until(
                lambda: ing.pipeline.full(),
                what="producer waiting for room",
            )
            asked = time.monotonic()
            ing.stop()
            await asyncio.wait_for(task, 15)
            return time.monotonic() - asked
        finally:
            await proxy.close()

    assert asyncio.run(scenario()) < 8


def test_conflicting_duplicate_over_mqtt_is_kept_and_counted(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    first = support.telemetry_message(site, "ETCH-01", 1, base, value=30.0)
    other = support.telemetry_message(site, "ETCH-01", 2, base, value=31.0)  # same key, other value

    async def scenario() -> str:
        ing = support.make_ingestor(landing_dsn, tmp_path / "spool", site)
        async with support.running(ing), support.publisher() as pub:
            await pub.publish(*first, qos=1)
            await support.until(
                lambda: support.scalar(landing_dsn, READINGS) == 1, what="first landed"
            )
            await pub.publish(*other, qos=1)
            await pub.publish(*other, qos=1)  # redelivered: kept once
            await pub.publish(*first, qos=1)  # an identical duplicate: no dead letter
            await support.until(
                lambda: (
                    support.scalar(landing_dsn, "SELECT count(*) FROM landing.dead_letter") == 1
                ),
                what="conflict dead-lettered",
            )
        return ing.name

    name = asyncio.run(scenario())
    error = support.scalar(landing_dsn, "SELECT error FROM landing.dead_letter")
    assert error.startswith("conflicting_duplicate: sensor_reading: ")
    assert support.scalar(landing_dsn, "SELECT value FROM landing.sensor_reading") == 30.0
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.dead_letter") == 1
    with psycopg.connect(landing_dsn) as conn:
        assert conn.execute(STATUS, (name,)).fetchone() == (1, 1)


def test_status_shows_stalled_and_stale_ingestors(landing_dsn, tmp_path):
    """Before: a stalled ingestor showed "connected at 2,098 rows/s" with no error."""
    from tests.integration.test_cli_foundation import fab

    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO landing.ingest_status (ingestor, source, started_at, updated_at, "
            "connected, rows_total, rows_per_s, last_error, stalled_since) VALUES "
            "('mqtt:ok', 'mqtt', now(), now(), true, 10, 5, NULL, NULL), "
            "('mqtt:stalled', 'mqtt', now(), now(), true, 20, 2098, "
            " 'SpoolError: disk full', now() - interval '1 minute'), "
            "('mqtt:gone', 'mqtt', now(), now() - interval '5 minutes', true, 30, 2098, "
            " NULL, NULL)"
        )
    result = fab("ingest", "status", env={"FAB_PG_DSN": landing_dsn}, home=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {
        line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "mqtt:" in line
    }
    assert "connected" in lines["mqtt:ok"]
    assert (
        "STALLED since" in lines["mqtt:stalled"]
        and "SpoolError: disk full" in lines["mqtt:stalled"]
    )
    assert "2,098" not in lines["mqtt:stalled"]
    assert "STALE" in lines["mqtt:gone"] and "2,098" not in lines["mqtt:gone"]
