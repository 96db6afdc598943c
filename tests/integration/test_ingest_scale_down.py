"""Two MQTT ingestors share `$share/<group>/...` on a private Mosquitto with the repository's
config (TLS, passwords, ACL); one of them leaves. Mosquitto keeps handing an absent member
its share (queued in its session) until the session expires, so:
- `fab ingest leave` drains what was queued for the member and removes its session: nothing
  published while it was away is lost, and afterwards the remaining member takes everything;
- a member that just disappears costs nothing beyond its stated session expiry: once the
  broker expires the session, the remaining member takes everything;
- `fab ingest status` warns about the absent member while the group takes messages."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiomqtt
import psycopg
import pytest

from ingestion.stream.machines import load_machines
from ingestion.stream.mqtt import MqttIngestor
from ingestion.stream.service import absent_members
from tests.conftest import REPO
from tests.integration import ingest_support as support
from tests.integration.broker_support import RepoBroker, repo_broker

EXPIRY_S = 2  # the absent member's session expiry in the expiry test


@pytest.fixture
def broker(tmp_path) -> RepoBroker:
    with repo_broker(tmp_path / "broker") as b:
        yield b


def member(
    broker: RepoBroker, dsn: str, spool: Path, site: str, client_id: str, expiry_s: int = 60
) -> MqttIngestor:
    with psycopg.connect(dsn) as conn:
        machines = load_machines(conn)
    options = broker.ingest_options(client_id, site, session_expiry_s=expiry_s)
    return MqttIngestor(options, dsn, machines, spool / client_id)


async def publish(broker: RepoBroker, site: str, first_seq: int, n: int) -> None:
    """``n`` telemetry messages as ETCH-01 itself (one reading each, distinct seq and ts)."""
    base = support.now_ms()
    async with aiomqtt.Client(
        **broker.address("ETCH-01").client_kwargs(), identifier=f"etch01-{uuid.uuid4().hex[:6]}"
    ) as pub:
        for seq in range(first_seq, first_seq + n):
            await pub.publish(*support.telemetry_message(site, "ETCH-01", seq, base + seq), qos=1)


def readings(dsn: str) -> int:
    return support.scalar(
        dsn, "SELECT count(*) FROM landing.sensor_reading WHERE machine_id = 'ETCH-01'"
    )


def run_leave(
    broker: RepoBroker, dsn: str, home: Path, site: str, client_id: str
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAB_")}
    env.update(FAB_HOME=str(home), FAB_PG_DSN=dsn, FAB_MQTT_URL=broker.url("fab_ingest"))
    env.update(NO_COLOR="1", COLUMNS="200")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fabcli.main",
            "ingest",
            "leave",
            "--client-id",
            client_id,
            "--share-group",
            f"g{site}",
            "--topic-filter",
            f"fab/v1/{site}/#",
            "--spool-dir",
            str(home / "spool" / client_id),
            "--idle-s",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def fab_leave(broker: RepoBroker, dsn: str, home: Path, site: str, client_id: str) -> int:
    """Run `fab ingest leave` for the member; the number of queued messages it landed."""
    done = run_leave(broker, dsn, home, site, client_id)
    assert done.returncode == 0, done.stderr
    assert "session removed" in done.stdout
    return int(re.search(r"left \S+: ([\d,]+) queued", done.stdout).group(1).replace(",", ""))


def test_leave_drains_the_absent_members_share_and_removes_its_session(
    broker, landing_dsn, tmp_path
) -> None:
    site, n = support.unique_site(), 400

    async def scenario() -> int:
        a = member(broker, landing_dsn, tmp_path / "spool", site, "member-a")
        b = member(broker, landing_dsn, tmp_path / "spool", site, "member-b")
        async with support.running(a):
            async with support.running(b):
                pass  # b joined the group; now it is gone (its session stays)
            await publish(broker, site, 1, n)
            await support.until(
                lambda: a.pipeline.stats.messages_total > 0, what="member a landing"
            )
            drained = await asyncio.to_thread(
                fab_leave, broker, landing_dsn, tmp_path, site, "member-b"
            )
            await support.until(lambda: readings(landing_dsn) == n, what=f"all {n} readings")
            # with b's session gone, a takes everything published from now on
            await publish(broker, site, n + 1, n)
            await support.until(
                lambda: readings(landing_dsn) == 2 * n, what=f"all {2 * n} readings"
            )
            assert a.pipeline.stats.messages_total == 2 * n - drained
            return drained

    drained = asyncio.run(scenario())
    assert drained > 0, "the absent member's session held a share (the break this guards)"
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.dead_letter") == 0
    assert (
        support.scalar(
            landing_dsn,
            "SELECT count(*) FROM landing.ingest_status WHERE ingestor = 'mqtt:member-b'",
        )
        == 0
    ), "the departed member's status row is gone with it"


def test_an_absent_member_costs_nothing_past_its_session_expiry(
    broker, landing_dsn, tmp_path
) -> None:
    site, n = support.unique_site(), 300
    log = broker.log

    async def scenario() -> None:
        a = member(broker, landing_dsn, tmp_path / "spool", site, "member-a")
        b = member(broker, landing_dsn, tmp_path / "spool", site, "member-b", EXPIRY_S)
        async with support.running(a):
            async with support.running(b):
                pass
            left_at = time.monotonic()
            await support.until(
                lambda: "Expiring client member-b" in log.read_text(),
                timeout=EXPIRY_S + 10,
                what="the broker expiring member-b's session",
            )
            assert time.monotonic() - left_at >= EXPIRY_S - 0.5, "expired no earlier than asked"
            await publish(broker, site, 1, n)
            await support.until(lambda: readings(landing_dsn) == n, what=f"all {n} readings via a")
            assert a.pipeline.stats.messages_total == n

    asyncio.run(scenario())


def test_status_warns_about_a_member_offline_while_messages_flow(landing_dsn, tmp_path) -> None:
    rows = [
        ("mqtt:live", True, "0 seconds", 1500.0),
        ("mqtt:gone", False, "20 minutes", 0.0),
        ("mqtt:blip", True, "30 seconds", 0.0),
    ]
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        for name, connected, age, rate in rows:
            conn.execute(
                "INSERT INTO landing.ingest_status (ingestor, source, started_at, updated_at, "
                "connected, messages_per_s) VALUES (%s, 'mqtt', now(), now() - %s::interval, "
                "%s, %s)",
                (name, age, connected, rate),
            )
        warnings = absent_members(conn, offline_s=300)
        assert len(warnings) == 1 and warnings[0].startswith("mqtt:gone has been offline 20 min")
        assert "fab ingest leave --client-id gone" in warnings[0]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAB_")}
        env.update(FAB_PG_DSN=landing_dsn, FAB_HOME=str(tmp_path), NO_COLOR="1", COLUMNS="400")
        shown = subprocess.run(
            [sys.executable, "-m", "fabcli.main", "ingest", "status"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert f"warning: {warnings[0]}" in shown.stdout
        conn.execute("UPDATE landing.ingest_status SET messages_per_s = 0")
        assert absent_members(conn, offline_s=300) == [], "no traffic, nothing taken"


def test_leave_refuses_a_member_that_is_still_running(broker, landing_dsn, tmp_path) -> None:
    site = support.unique_site()

    async def scenario() -> subprocess.CompletedProcess:
        a = member(broker, landing_dsn, tmp_path / "spool", site, "member-a")
        async with support.running(a):
            await support.until(
                lambda: support.scalar(
                    landing_dsn,
                    "SELECT count(*) FROM landing.ingest_status "
                    "WHERE ingestor = 'mqtt:member-a' AND connected",
                ),
                what="member-a reporting connected",
            )
            done = await asyncio.to_thread(
                run_leave, broker, landing_dsn, tmp_path, site, "member-a"
            )
            assert a.subscribed.is_set(), "the running member kept its session"
            return done

    done = asyncio.run(scenario())
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "fab: error: mqtt:member-a is still running (reported connected): stop it first"
    )
