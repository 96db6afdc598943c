"""Outages mid-stream: the database (spool, replay) and the broker (reconnect, redelivery)."""

from __future__ import annotations

import asyncio

from tests.integration import ingest_support as support

COUNT_READINGS = "SELECT count(*) FROM landing.sensor_reading"
DISTINCT_READINGS = "SELECT count(DISTINCT (machine_id, metric, ts)) FROM landing.sensor_reading"


def test_database_cut_spools_then_replays_exactly_once(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    msgs = [support.telemetry_message(site, "ETCH-01", i, base + i, readings=5) for i in range(900)]

    async def scenario() -> None:
        proxy = await support.TcpProxy(5432).start()
        ing = support.make_ingestor(
            landing_dsn,
            tmp_path / "spool",
            site,
            commit_dsn=support.via_port(landing_dsn, proxy.port),
        )
        try:
            async with support.running(ing), support.publisher() as pub:
                for m in msgs[:300]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: support.scalar(landing_dsn, COUNT_READINGS) == 1500, what="first third"
                )
                await proxy.cut()
                for m in msgs[300:600]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: (
                        ing.committer.spool.depth > 0 and ing.pipeline.stats.messages_total == 600
                    ),
                    what="spooling",
                )
                assert support.scalar(landing_dsn, COUNT_READINGS) == 1500  # really cut
                await proxy.restore()
                for m in msgs[600:]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: support.scalar(landing_dsn, COUNT_READINGS) == 4500,
                    timeout=30,
                    what="all 4500 readings after replay",
                )
                await support.until(lambda: ing.committer.spool.depth == 0, what="spool drained")
                assert ing.pipeline.stats.spooled_batches > 0
        finally:
            await proxy.close()

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, DISTINCT_READINGS) == 4500
    assert support.scalar(landing_dsn, COUNT_READINGS) == 4500
    assert not list((tmp_path / "spool").glob("*.seg"))


def test_broker_cut_reconnects_and_loses_nothing(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    msgs = [
        support.telemetry_message(site, "ETCH-02", i, base + i, readings=2) for i in range(1200)
    ]

    async def scenario() -> None:
        proxy = await support.TcpProxy(support.BROKER[1], support.BROKER[0]).start()
        ing = support.make_ingestor(landing_dsn, tmp_path / "spool", site, port=proxy.port)
        try:
            async with support.running(ing), support.publisher() as pub:
                for m in msgs[:400]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: ing.pipeline.stats.messages_total >= 100, what="some handled"
                )
                await proxy.cut()  # mid-stream: some messages are unacknowledged right now
                for m in msgs[400:800]:
                    await pub.publish(*m, qos=1)  # broker keeps them in the session
                await proxy.restore()
                await support.until(
                    lambda: ing.subscribed.is_set() and ing._epoch >= 2, what="reconnect"
                )
                for m in msgs[800:]:
                    await pub.publish(*m, qos=1)
                await support.until(
                    lambda: support.scalar(landing_dsn, COUNT_READINGS) == 2400,
                    timeout=30,
                    what="all 2400 readings",
                )
        finally:
            await proxy.close()

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, DISTINCT_READINGS) == 2400
