"""MQTT ingestion against the real Mosquitto and PostgreSQL: every channel lands, exactly once."""

from __future__ import annotations

import asyncio

from tests.integration import ingest_support as support


def test_every_channel_lands_in_its_tables(landing_dsn, tmp_path):
    site = support.unique_site()

    async def scenario() -> None:
        async with support.running(
            support.make_ingestor(landing_dsn, tmp_path / "spool", site)
        ) as ing:
            async with support.publisher() as pub:
                for topic, body in support.good_messages(site, support.now_ms()):
                    await pub.publish(topic, body, qos=1)
            await support.until(
                lambda: support.scalar(landing_dsn, "SELECT count(*) FROM landing.defect") == 2,
                what="inspection defects",
            )
            await support.until(lambda: ing.pipeline.stats.messages_total == 5, what="5 messages")

    asyncio.run(scenario())
    q = lambda sql: support.scalar(landing_dsn, sql)  # noqa: E731
    assert q("SELECT count(*) FROM landing.sensor_reading WHERE machine_id = 'ETCH-01'") == 3
    assert q("SELECT quality FROM landing.sensor_reading WHERE metric = 'rf_power'") == 0x40000000
    assert q("SELECT state || '/' || reason_code FROM landing.machine_state") == "RUNNING/RUN"
    assert (
        q("SELECT good || '/' || scrap || '/' || lot_id FROM landing.production_count")
        == f"24/1/{support.LOT}"
    )
    assert (
        q("SELECT string_agg(event, ',' ORDER BY ts) FROM landing.lot_move") == "track_in,track_out"
    )
    assert q("SELECT count(*) FROM landing.process_measurement") == 2
    assert q("SELECT severity FROM landing.alarm WHERE alarm_code = 'A100'") == 3
    assert q("SELECT defect_count FROM landing.inspection") == 2
    assert q("SELECT edx_spectrum->'elements'->>0 FROM landing.defect WHERE defect_no = 1") == "Si"
    assert q("SELECT count(*) FROM landing.dead_letter") == 0
    assert q("SELECT messages_total FROM landing.ingest_status") == 5


def test_redelivered_messages_land_once(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    messages = [support.telemetry_message(site, "ETCH-01", i, base + i) for i in range(200)]

    async def scenario() -> None:
        async with support.running(
            support.make_ingestor(landing_dsn, tmp_path / "spool", site)
        ) as ing:
            async with support.publisher() as pub:
                for _ in range(2):  # every message twice, as a redelivery would
                    for topic, body in messages:
                        await pub.publish(topic, body, qos=1)
            await support.until(
                lambda: ing.pipeline.stats.messages_total == 400, what="400 messages"
            )

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 200


def test_graceful_stop_flushes_the_open_batch(landing_dsn, tmp_path):
    from ingestion.stream.pipeline import BatchLimits

    site = support.unique_site()
    base = support.now_ms()

    async def scenario() -> None:
        # A batch that would wait 60 s: only the shutdown flush can land it in time.
        ing = support.make_ingestor(
            landing_dsn,
            tmp_path / "spool",
            site,
            limits=BatchLimits(max_age_s=60, status_every_s=60),
        )
        async with support.running(ing), support.publisher() as pub:
            for i in range(50):
                await pub.publish(*support.telemetry_message(site, "CMP-01", i, base + i), qos=1)
            await support.until(
                lambda: ing.pipeline.batch.messages == 50, what="50 messages batched"
            )
            assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 0
        # leaving `running` stopped the ingestor

    asyncio.run(scenario())
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == 50
    assert support.scalar(landing_dsn, "SELECT messages_total FROM landing.ingest_status") == 50
