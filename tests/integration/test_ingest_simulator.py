"""End to end: the plant simulator (live mode) -> MQTT and OPC UA -> ingestors -> landing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ingestion.plant import load_plant
from ingestion.simulator import live as simulator
from ingestion.simulator import opcua_server
from ingestion.stream.config import load_opcua
from ingestion.stream.machines import load_machines
from ingestion.stream.opcua import OpcuaIngestor
from tests.conftest import MQTT_URL, SIMULATED_EVERY_DAY, free_port
from tests.integration.ingest_support import make_ingestor, running, scalar, until

pytestmark = pytest.mark.slow
TABLES = SIMULATED_EVERY_DAY


def test_simulator_streams_land_over_mqtt_and_opcua(landing_dsn, tmp_path):
    base = load_plant("demo")
    site = "S" + uuid.uuid4().hex[:8]  # our own topics, so parallel runs do not cross
    plant = base.model_copy(update={"site": base.site.model_copy(update={"id": site})})
    port = free_port()
    url = f"opc.tcp://127.0.0.1:{port}/fab/"
    opc_cfg = load_opcua().servers[0].model_copy(update={"url": url})

    async def scenario() -> tuple[dict, int]:
        sim = simulator.LiveSimulator(
            plant,
            42,
            mqtt_url=MQTT_URL,
            speed=7200,
            rate_hz=0.01,
            tick_s=0.2,
            start=datetime.now(UTC) - timedelta(days=3),
            opcua_url=url,
            node_map=opcua_server.load_node_map(),
            home=tmp_path,
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        with psycopg.connect(landing_dsn) as conn:
            machines = load_machines(conn)
        async with running(make_ingestor(landing_dsn, tmp_path / "spool", site)) as ing:
            sim_task = asyncio.create_task(sim.run(stop=stop, ready=ready))
            await asyncio.wait_for(ready.wait(), 60)
            opc = OpcuaIngestor(opc_cfg, url, landing_dsn, machines, tmp_path / "opc-spool")
            opc_task = asyncio.create_task(opc.run())
            try:
                await asyncio.wait_for(opc.subscribed.wait(), 30)
                for table in TABLES:
                    await until(
                        lambda t=table: scalar(landing_dsn, f"SELECT count(*) FROM landing.{t}"),
                        timeout=60,
                        what=f"rows in landing.{table}",
                    )
                await until(lambda: opc.pipeline.stats.rows_total > 0, what="OPC UA rows")
            finally:
                stop.set()
                opc.stop()
                await asyncio.wait_for(sim_task, 60)
                await asyncio.wait_for(opc_task, 30)
            opc_rows = opc.pipeline.stats.rows_total
        return ing.pipeline.stats, opc_rows

    stats, opc_rows = asyncio.run(scenario())
    assert stats.messages_total > 0 and opc_rows > 0
    with psycopg.connect(landing_dsn) as conn:
        errors = conn.execute("SELECT error FROM landing.dead_letter LIMIT 5").fetchall()
    assert errors == [], errors


def test_interlock_stops_the_simulated_etch_tool(landing_dsn, tmp_path):
    from ingestion.payloads import topic_for
    from ingestion.stream.config import load_interlocks
    from tests.integration.ingest_support import publisher

    base = load_plant("demo")
    site = "S" + uuid.uuid4().hex[:8]
    plant = base.model_copy(update={"site": base.site.model_copy(update={"id": site})})
    etch_counts = "SELECT count(*) FROM landing.production_count WHERE machine_id = 'ETCH-01'"

    async def scenario():
        sim = simulator.LiveSimulator(
            plant,
            7,
            mqtt_url=MQTT_URL,
            speed=3600,
            rate_hz=0.01,
            tick_s=0.2,
            start=datetime.now(UTC) - timedelta(days=3),
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        ing = make_ingestor(landing_dsn, tmp_path / "spool", site, interlocks=load_interlocks())
        async with running(ing):
            sim_task = asyncio.create_task(sim.run(stop=stop, ready=ready))
            try:
                await asyncio.wait_for(ready.wait(), 60)
                await until(
                    lambda: scalar(landing_dsn, etch_counts),
                    timeout=60,
                    what="a lot tracked out of ETCH-01",
                )
                # The chamber overheats: one reading above 188.0 °C at the tool's own clock.
                ts_ms = int(sim.sim_now() * 1000)
                body = (
                    b'{"ts": %d, "seq": 999999, "readings": '
                    b'[{"metric": "temperature", "value": 191.5}]}' % ts_ms
                )
                async with publisher() as pub:
                    await pub.publish(topic_for(site, "ETCH", "ETCH-01", "telemetry"), body, qos=1)
                await until(lambda: sim.stats.commands >= 1, what="the simulator got the stop")
                await until(
                    lambda: scalar(
                        landing_dsn,
                        "SELECT count(*) FROM landing."
                        "machine_state WHERE machine_id = 'ETCH-01' AND reason_code = "
                        "'INTERLOCK'",
                    ),
                    timeout=30,
                    what="ETCH-01 down for INTERLOCK",
                )
            finally:
                stop.set()
                await asyncio.wait_for(sim_task, 60)

    asyncio.run(scenario())
    assert (
        scalar(
            landing_dsn,
            "SELECT count(*) FROM landing.interlock_event "
            "WHERE machine_id = 'ETCH-01' AND value = 191.5",
        )
        == 1
    )
    assert (
        scalar(
            landing_dsn, "SELECT count(*) FROM landing.quarantine_log WHERE machine_id = 'ETCH-01'"
        )
        == 1
    )
