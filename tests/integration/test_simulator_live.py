"""Live mode against the real Mosquitto: contract payloads, commands, chaos; OPC UA browsing."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from ingestion.payloads import PAYLOAD_MODELS, parse_topic, topic_for
from ingestion.plant import SiteSpec, load_plant
from ingestion.simulator.live import LiveSimulator, send_chaos
from ingestion.simulator.opcua_server import load_node_map
from tests.conftest import MQTT_URL, REPO, broker_address, free_port

MQTT = MQTT_URL  # FAB_TEST_MQTT_URL


def _plant():
    """The demo plant under a site id of its own, so parallel test runs never cross."""
    demo = load_plant("demo")
    site = SiteSpec(id=f"T{uuid.uuid4().hex[:8].upper()}", name="test", timezone="Europe/Berlin")
    return demo.model_copy(update={"site": site})


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


class Inbox:
    """Every message of one site: (received monotonic, machine, channel, payload dict)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, str, str, dict]] = []

    async def collect(self, site: str, ready: asyncio.Event, broker: dict | None = None) -> None:
        import aiomqtt

        address = broker or dict(zip(("hostname", "port"), broker_address(), strict=True))
        async with aiomqtt.Client(**address) as client:
            await client.subscribe(f"fab/v1/{site}/#", qos=1)
            ready.set()
            async for message in client.messages:
                _, _, machine, channel = parse_topic(str(message.topic))
                PAYLOAD_MODELS[channel].model_validate_json(message.payload)  # the contract
                self.items.append((time.monotonic(), machine, channel, json.loads(message.payload)))

    def states(self, machine: str) -> list[tuple[str, str]]:
        return [
            (p["state"], p["reason_code"])
            for _, m, c, p in self.items
            if m == machine and c == "state"
        ]


def test_live_stream_obeys_commands_and_shows_chaos(landing_dsn):
    plant = _plant()
    site = plant.site.id
    inbox = Inbox()

    async def scenario() -> LiveSimulator:
        import aiomqtt

        sim = LiveSimulator(
            plant, 21, mqtt_url=MQTT, speed=60, rate_hz=1.0, tick_s=0.2, dsn=landing_dsn
        )
        subscribed, ready = asyncio.Event(), asyncio.Event()
        collector = asyncio.create_task(inbox.collect(site, subscribed))
        await subscribed.wait()
        stop = asyncio.Event()
        runner = asyncio.create_task(sim.run(stop=stop, ready=ready))
        await ready.wait()
        await _until(
            lambda: {c for _, _, c, _ in inbox.items} >= {"telemetry", "state"},
            10,
            "telemetry and state messages",
        )
        # stop / resume on the command topic
        async with aiomqtt.Client(*broker_address()) as client:
            command = topic_for(site, "ETCH", "ETCH-01", "command")
            now = datetime.now(UTC).isoformat()
            await client.publish(
                command, json.dumps({"ts": now, "command": "stop", "reason": "test"}), qos=1
            )
            await _until(
                lambda: ("DOWN", "OPERATOR_STOP") in inbox.states("ETCH-01"),
                10,
                "ETCH-01 DOWN/OPERATOR_STOP",
            )
            n = len(inbox.states("ETCH-01"))
            await client.publish(command, json.dumps({"ts": now, "command": "resume"}), qos=1)
            await _until(
                lambda: (
                    len(inbox.states("ETCH-01")) > n
                    and inbox.states("ETCH-01")[-1] != ("DOWN", "OPERATOR_STOP")
                ),
                10,
                f"ETCH-01 resumed {inbox.states('ETCH-01')}",
            )
        # chaos: machine down
        await send_chaos(MQTT, site, "ETCH-02", "machine_down", 600)
        await _until(
            lambda: ("DOWN", "ELECTRICAL") in inbox.states("ETCH-02"),
            10,
            "ETCH-02 DOWN after machine_down",
        )
        # chaos: sensor spike on CMP-01 vibration (setpoint 2.0, noise 0.1)
        await send_chaos(MQTT, site, "CMP-01", "sensor_spike", 120)
        await _until(
            lambda: any(
                r["metric"] == "vibration" and r["value"] > 5.0
                for _, m, c, p in inbox.items
                if m == "CMP-01" and c == "telemetry"
                for r in p["readings"]
            ),
            10,
            "a vibration spike on CMP-01",
        )
        await send_chaos(MQTT, site, "CLEAN-01", "efficiency_drop", 600)
        # chaos: network partition on DEP-01 for 180 simulated s (3 s here): a gap, then late
        ack = await send_chaos(MQTT, site, "DEP-01", "network_partition", 180)
        cut = time.monotonic()
        start_ms = datetime.fromisoformat(ack["start"]).timestamp() * 1000
        end_ms = datetime.fromisoformat(ack["end"]).timestamp() * 1000

        def late() -> list:
            return [
                (t, p)
                for t, m, c, p in inbox.items
                if m == "DEP-01"
                and c == "telemetry"
                and t > cut + 2.0
                and start_ms <= p["readings"][0]["ts"] < end_ms
            ]

        await _until(lambda: late(), 15, "DEP-01 telemetry released after the partition")
        gap = [t for t, m, _, _ in inbox.items if m == "DEP-01" and cut + 0.5 < t < cut + 2.0]
        assert gap == []  # nothing from DEP-01 while partitioned
        stop.set()
        await runner
        collector.cancel()
        return sim

    sim = asyncio.run(scenario())
    assert sim.stats.held > 0 and sim.stats.released_late == sim.stats.held
    with psycopg.connect(landing_dsn) as conn:
        faults = conn.execute(
            "SELECT machine_id, fault FROM truth.chaos_fault WHERE run_id = %s ORDER BY 2",
            (sim.run_id,),
        ).fetchall()
        mode = conn.execute(
            "SELECT mode FROM truth.run WHERE run_id = %s", (sim.run_id,)
        ).fetchone()
    assert faults == [
        ("CLEAN-01", "efficiency_drop"),
        ("ETCH-02", "machine_down"),
        ("DEP-01", "network_partition"),
        ("CMP-01", "sensor_spike"),
    ]
    assert mode == ("live",)


def test_opcua_server_is_browsable_and_values_move():
    from asyncua import Client

    plant = _plant()
    url = f"opc.tcp://127.0.0.1:{free_port()}/fab/"
    node_map = load_node_map()

    async def scenario() -> list[str]:
        sim = LiveSimulator(
            plant,
            5,
            mqtt_url=MQTT,
            speed=60,
            rate_hz=1.0,
            tick_s=0.2,
            opcua_url=url,
            node_map=node_map,
            security="None",  # the asyncua command-line tools below connect without security
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        runner = asyncio.create_task(sim.run(stop=stop, ready=ready))
        await ready.wait()
        tools: list[str] = []
        try:
            async with Client(url) as client:
                idx = await client.get_namespace_index("urn:fabstack:plant")
                machines = await client.nodes.objects.get_child(f"{idx}:Machines")
                names = {(await n.read_browse_name()).Name for n in await machines.get_children()}
                assert names == {m.id for m in plant.machines}
                temp = await machines.get_child([f"{idx}:ETCH-01", f"{idx}:Temperature"])
                state = await machines.get_child([f"{idx}:ETCH-01", f"{idx}:State"])
                first = await temp.read_value()
                seen = {first}
                deadline = time.monotonic() + 10
                while len(seen) < 3 and time.monotonic() < deadline:
                    seen.add(await temp.read_value())
                    await asyncio.sleep(0.1)
                assert len(seen) >= 3 and all(150 < v < 200 for v in seen if v)
                assert await state.read_value() in {
                    "RUNNING",
                    "IDLE",
                    "SETUP",
                    "DOWN",
                    "MAINTENANCE",
                    "OFFLINE",
                }
            # asyncua's own console tools, as an independent client
            uals = REPO / ".venv" / "bin" / "uals"
            uaread = REPO / ".venv" / "bin" / "uaread"
            if uals.exists() and uaread.exists():
                listing = await asyncio.to_thread(
                    subprocess.run,
                    [str(uals), "-u", url, "-n", f"ns={idx};s=Machines/ETCH-01"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                tools.append(listing.stdout)
                value = await asyncio.to_thread(
                    subprocess.run,
                    [str(uaread), "-u", url, "-n", f"ns={idx};s=Machines/ETCH-01/Temperature"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                tools.append(value.stdout)
        finally:
            stop.set()
            await runner
        return tools

    tools = asyncio.run(scenario())
    if shutil.which("uals") or (REPO / ".venv" / "bin" / "uals").exists():
        listing, value = tools
        for name in (
            "State",
            "PartCount",
            "GoodCount",
            "ScrapCount",
            "CycleTime",
            "Temperature",
            "Pressure",
            "Vibration",
        ):
            assert f"Machines/ETCH-01/{name}" in listing
        assert 150 < float(value.strip().splitlines()[-1]) < 200


def test_opcua_sign_and_encrypt_with_self_signed_certificates(tmp_path):
    """--security SignAndEncrypt: only Basic256Sha256 endpoints; a client with its own
    self-signed certificate reads values over the encrypted channel."""
    from asyncua import Client
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    url = f"opc.tcp://127.0.0.1:{free_port()}/fab/"

    async def scenario() -> tuple[set, float]:
        sim = LiveSimulator(
            _plant(),
            5,
            mqtt_url=MQTT,
            speed=60,
            tick_s=0.2,
            opcua_url=url,
            node_map=load_node_map(),
            home=tmp_path,
            security="SignAndEncrypt",
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        runner = asyncio.create_task(sim.run(stop=stop, ready=ready))
        await ready.wait()
        try:
            endpoints = await Client(url).connect_and_get_server_endpoints()
            policies = {
                (e.SecurityPolicyUri.rsplit("#", 1)[-1], e.SecurityMode.name) for e in endpoints
            }
            key, cert = tmp_path / "client_key.pem", tmp_path / "client_cert.der"
            await setup_self_signed_certificate(
                key,
                cert,
                "urn:fabstack:test:client",
                "127.0.0.1",
                [ExtendedKeyUsageOID.CLIENT_AUTH],
                {"commonName": "fabstack test client"},
            )
            client = Client(url)
            client.application_uri = "urn:fabstack:test:client"
            await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
            async with client:
                idx = await client.get_namespace_index("urn:fabstack:plant")
                node = await client.nodes.objects.get_child(
                    [f"{idx}:Machines", f"{idx}:ETCH-01", f"{idx}:Temperature"]
                )
                deadline = time.monotonic() + 10
                value = await node.read_value()
                while not value and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                    value = await node.read_value()
        finally:
            stop.set()
            await runner
        return policies, value

    policies, value = asyncio.run(scenario())
    assert policies == {("Basic256Sha256", "SignAndEncrypt")}
    assert 150 < value < 200
    assert (tmp_path / "opcua" / "server_cert.der").exists()


def test_live_machines_log_in_as_themselves_on_the_secured_broker(tmp_path):
    """With FAB_MQTT_MACHINE_SECRET set, on the repository's broker config (TLS, passwords,
    ACL): every machine publishes on its own login, hears the interlock's commands, and does
    not obey another machine's; chaos still reaches the simulator as fab_sim."""
    import aiomqtt

    from tests.integration.broker_support import MACHINE_SECRET, repo_broker

    plant = _plant()
    site = plant.site.id
    inbox = Inbox()

    async def scenario(broker) -> tuple[LiveSimulator, dict]:
        sim = LiveSimulator(
            plant,
            21,
            mqtt_url=broker.url("fab_sim"),
            machine_secret=MACHINE_SECRET,
            speed=60,
            rate_hz=1.0,
            tick_s=0.2,
        )
        subscribed, ready = asyncio.Event(), asyncio.Event()
        reader = broker.address("fab_ingest").client_kwargs()
        collector = asyncio.create_task(inbox.collect(site, subscribed, reader))
        await subscribed.wait()
        stop = asyncio.Event()
        runner = asyncio.create_task(sim.run(stop=stop, ready=ready))
        await ready.wait()
        machines = {m.id for m in plant.machines}
        await _until(
            lambda: {m for _, m, c, _ in inbox.items if c == "telemetry"} == machines,
            15,
            "telemetry from every machine on its own login",
        )
        command = topic_for(site, "ETCH", "ETCH-01", "command")
        now = datetime.now(UTC).isoformat()
        stop_body = json.dumps({"ts": now, "command": "stop", "reason": "test"})
        async with (
            aiomqtt.Client(**broker.address("fab_interlock").client_kwargs()) as interlock,
            aiomqtt.Client(**broker.address("ETCH-02").client_kwargs()) as etch02,
        ):
            await interlock.publish(command, stop_body, qos=1)
            await _until(lambda: sim.stats.commands == 1, 10, "the interlock's stop obeyed")
            await etch02.publish(command, stop_body, qos=1)  # refused by the broker's ACL
            resume = json.dumps({"ts": now, "command": "resume"})
            await interlock.publish(command, resume, qos=1)
            await _until(lambda: sim.stats.commands >= 2, 10, "the interlock's resume")
        ack = await send_chaos(broker.url("fab_sim"), site, "ETCH-02", "machine_down", 60, 10)
        stop.set()
        await runner
        collector.cancel()
        return sim, ack

    with repo_broker(tmp_path / "broker") as broker:
        sim, ack = asyncio.run(scenario(broker))
    assert sim.stats.commands == 2, "ETCH-02's forged stop never reached ETCH-01"
    assert ack["machine"] == "ETCH-02" and sim.stats.faults == 1
