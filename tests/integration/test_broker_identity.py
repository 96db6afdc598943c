"""Per-machine identity on the real Mosquitto with the repository's own config, ACL and TLS
(a private broker on a free port): a machine writes only its own channels and reads only its
own commands; only the interlock role writes commands; the ingestors only read."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import aiomqtt
import pytest

from tests.integration.broker_support import RepoBroker, repo_broker

SITE = "FAB1"
OWN = f"fab/v1/{SITE}/ETCH/ETCH-01/telemetry"
OTHER = f"fab/v1/{SITE}/ETCH/ETCH-02/telemetry"
COMMAND_01 = f"fab/v1/{SITE}/ETCH/ETCH-01/command"
COMMAND_02 = f"fab/v1/{SITE}/ETCH/ETCH-02/command"


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> RepoBroker:
    with repo_broker(tmp_path_factory.mktemp("broker")) as b:
        yield b


def client(broker: RepoBroker, user: str | None, password: str | None = None) -> aiomqtt.Client:
    return aiomqtt.Client(
        **broker.address(user, password).client_kwargs(),
        identifier=f"{user}-{uuid.uuid4().hex[:6]}",
        protocol=aiomqtt.ProtocolVersion.V5,
        timeout=5,
    )


async def received_until_marker(
    sub: aiomqtt.Client, sends: list[tuple[aiomqtt.Client, str]], marker: tuple[aiomqtt.Client, str]
) -> set[str]:
    """Publish each (client, topic), then an allowed marker; the topics the subscriber saw up
    to the marker. Each QoS 1 publish is awaited (its PUBACK) before the next, so every probe
    has been routed or refused by the broker before the marker goes out."""
    for pub, topic in sends:
        with contextlib.suppress(aiomqtt.MqttError):  # a refusal may surface as an error
            await pub.publish(topic, b'{"probe": 1}', qos=1)
    pub, topic = marker
    await pub.publish(topic, b'{"marker": 1}', qos=1)
    seen: set[str] = set()
    async with asyncio.timeout(10):
        async for message in sub.messages:
            if b"marker" in message.payload and message.topic.value == topic:
                return seen
            seen.add(message.topic.value)
    return seen


def test_a_machine_writes_only_its_own_topics(broker: RepoBroker) -> None:
    async def scenario() -> set[str]:
        async with client(broker, "fab_ingest") as ingest, client(broker, "ETCH-01") as etch01:
            await ingest.subscribe("fab/v1/#", qos=1)
            return await received_until_marker(
                ingest, [(etch01, OWN), (etch01, OTHER), (etch01, COMMAND_01)], (etch01, OWN)
            )

    assert asyncio.run(scenario()) == {OWN}


def test_only_the_interlock_role_writes_commands(broker: RepoBroker) -> None:
    async def scenario() -> tuple[set[str], set[str]]:
        async with (
            client(broker, "ETCH-02") as etch02,
            client(broker, "ETCH-01") as etch01,
            client(broker, "fab_ingest") as ingest,
            client(broker, "fab_sim") as sim,
            client(broker, "fab_interlock") as interlock,
        ):
            await etch02.subscribe(COMMAND_02, qos=1)
            # ETCH-01 may not read ETCH-02's commands (the broker filters on delivery)
            await etch01.subscribe(f"fab/v1/{SITE}/+/+/command", qos=1)
            sends = [(etch01, COMMAND_02), (ingest, COMMAND_02), (sim, COMMAND_02)]
            seen_by_02 = await received_until_marker(etch02, sends, (interlock, COMMAND_02))
            seen_by_01 = await received_until_marker(etch01, [], (interlock, COMMAND_01))
            return seen_by_02, seen_by_01

    assert asyncio.run(scenario()) == (set(), set())


def test_ingestors_read_everything_and_write_nothing(broker: RepoBroker) -> None:
    async def scenario() -> set[str]:
        async with client(broker, "fab_ingest") as ingest, client(broker, "ETCH-01") as etch01:
            result = await ingest.subscribe("$share/ingest/fab/v1/#", qos=1)
            assert [int(r.value) for r in result] == [1]  # granted QoS 1
            return await received_until_marker(ingest, [(ingest, OTHER)], (etch01, OWN))

    assert asyncio.run(scenario()) == set()


@pytest.mark.parametrize(
    ("user", "password"),
    [(None, None), ("ETCH-01", "guessed"), ("fab_ingest", "wrong"), ("NOT-A-MACHINE", "x")],
)
def test_unknown_or_wrong_credentials_are_refused(broker: RepoBroker, user, password) -> None:
    async def scenario() -> None:
        async with client(broker, user, password):
            pass

    with pytest.raises(aiomqtt.MqttError):
        asyncio.run(scenario())


def test_the_listener_speaks_tls_only(broker: RepoBroker) -> None:
    async def scenario() -> None:
        plain = broker.address("fab_ingest")
        kwargs = {**plain.client_kwargs()}
        kwargs.pop("tls_params")
        async with aiomqtt.Client(**kwargs, timeout=3):
            pass

    with pytest.raises(aiomqtt.MqttError):
        asyncio.run(scenario())


@pytest.mark.parametrize("as_interlock", [True, False])
def test_an_ingestors_stop_goes_out_only_as_the_interlock_role(
    broker: RepoBroker, landing_dsn, tmp_path, as_interlock: bool
) -> None:
    """`fab ingest mqtt` reads as fab_ingest and, with FAB_MQTT_INTERLOCK_URL, sends its stops
    as fab_interlock: the machine gets them. On its own read-only login it could not."""
    import psycopg

    from ingestion.stream.config import InterlockConfig, InterlockRule
    from ingestion.stream.machines import load_machines
    from ingestion.stream.mqtt import MqttIngestor
    from tests.integration.ingest_support import now_ms, running, telemetry_message, until

    site = "S" + uuid.uuid4().hex[:8]
    options = broker.ingest_options(
        f"il-{site}",
        site,
        command_broker=broker.address("fab_interlock") if as_interlock else None,
    )
    rule = InterlockRule(
        id="HOT", metric="temperature", op=">", threshold=188.0, machines=["ETCH-01"]
    )
    with psycopg.connect(landing_dsn) as conn:
        machines = load_machines(conn)
    ingestor = MqttIngestor(
        options, landing_dsn, machines, tmp_path / "spool", interlocks=InterlockConfig(rules=[rule])
    )
    command = f"fab/v1/{site}/ETCH/ETCH-01/command"

    async def scenario() -> set[str]:
        async with (
            running(ingestor),
            client(broker, "ETCH-01") as etch01,
            client(broker, "fab_interlock") as interlock,
        ):
            await etch01.subscribe(command, qos=1)
            hot = telemetry_message(site, "ETCH-01", 1, now_ms(), metric="temperature", value=199.0)
            await etch01.publish(*hot, qos=1)
            await until(lambda: ingestor.trips, what="the interlock trip and its stop sent")
            seen: set[str] = set()
            async with asyncio.timeout(10):
                await interlock.publish(command, b'{"marker": 1}', qos=1)
                async for message in etch01.messages:
                    if b"marker" in message.payload:
                        return seen
                    seen.add(message.payload.decode())
            return seen

    seen = asyncio.run(scenario())
    stops = [s for s in seen if '"command":"stop"' in s and '"rule_id":"HOT"' in s]
    assert len(stops) == (1 if as_interlock else 0), seen
