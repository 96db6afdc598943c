"""The ETCH over-temperature interlock stops the tool once per excursion and quarantines the lot."""

from __future__ import annotations

import asyncio

import orjson

from ingestion.payloads import CommandPayload, topic_for
from ingestion.stream.config import InterlockConfig, InterlockRule, load_interlocks
from tests.integration import ingest_support as support


def test_shipped_rule_is_etch_above_188():
    rule = load_interlocks().rules[0]
    assert (rule.machine_type, rule.metric, rule.op, rule.threshold) == (
        "ETCH",
        "temperature",
        ">",
        188.0,
    )


def test_interlock_stops_tool_and_quarantines_lot(landing_dsn, tmp_path):
    site = support.unique_site()
    base = support.now_ms()
    rule = InterlockRule(
        id="ETCH_OVERTEMP",
        machine_type="ETCH",
        metric="temperature",
        op=">",
        threshold=188.0,
        rearm_margin=1.0,
        cooldown_s=0,
    )
    temps = [185.0, 188.5, 189.2, 190.0, 187.5, 186.9, 188.7, 186.0]  # two excursions

    async def scenario() -> list[CommandPayload]:
        ing = support.make_ingestor(
            landing_dsn, tmp_path / "spool", site, interlocks=InterlockConfig(rules=[rule])
        )
        commands: list[CommandPayload] = []
        async with support.running(ing), support.publisher() as pub:
            async with support.publisher() as listener:
                await listener.subscribe(topic_for(site, "ETCH", "ETCH-01", "command"), qos=1)
                count_topic, count_body = support.good_messages(site, base - 5000)[
                    2
                ]  # lot LOT on ETCH-01
                await pub.publish(count_topic, count_body, qos=1)
                for i, temp in enumerate(temps):
                    await pub.publish(
                        *support.telemetry_message(
                            site,
                            "ETCH-01",
                            10 + i,
                            base + i * 1000,
                            metric="temperature",
                            value=temp,
                        ),
                        qos=1,
                    )
                async with asyncio.timeout(10):
                    async for message in listener.messages:
                        commands.append(
                            CommandPayload.model_validate(orjson.loads(message.payload))
                        )
                        if len(commands) == 2:
                            break
            await support.until(
                lambda: (
                    support.scalar(landing_dsn, "SELECT count(*) FROM landing.quarantine_log") == 2
                ),
                what="quarantine rows",
            )
        return commands

    commands = asyncio.run(scenario())
    assert [c.command for c in commands] == ["stop", "stop"]
    assert commands[0].rule_id == "ETCH_OVERTEMP" and "188.5" in commands[0].reason
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.interlock_event") == 2
    assert (
        support.scalar(
            landing_dsn,
            "SELECT string_agg(value::text, ',' ORDER BY ts) FROM landing.interlock_event",
        )
        == "188.5,188.7"
    )
    lots = "SELECT string_agg(DISTINCT lot_id, ',') FROM landing.quarantine_log"
    assert support.scalar(landing_dsn, lots) == support.LOT
    assert support.scalar(landing_dsn, "SELECT count(*) FROM landing.sensor_reading") == len(temps)
