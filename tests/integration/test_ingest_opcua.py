"""OPC UA ingestion against a live asyncua server: values, states, quality, server restart."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ingestion.stream.config import INSECURE, OpcuaServer, VariableMap, load_opcua
from ingestion.stream.machines import load_machines
from ingestion.stream.opcua import OpcuaIngestor, signed_status
from tests.conftest import free_port
from tests.integration.ingest_support import scalar, until
from tests.integration.opcua_support import PlantTestServer

VARIABLES = {
    "State": VariableMap(table="machine_state"),
    "Reason": VariableMap(table="state_reason"),
    "Temperature": VariableMap(metric="temperature"),
    "PartCount": VariableMap(metric="part_count"),
}
MACHINES = {
    "ETCH-01": ["State", "Reason", "Temperature", "PartCount"],
    "LITHO-01": ["State", "Reason", "Temperature"],
    "GHOST-9": ["Temperature"],
}


def _ingestor(dsn: str, url: str, spool) -> OpcuaIngestor:
    with psycopg.connect(dsn) as conn:
        machines = load_machines(conn)
    server = OpcuaServer(
        name="test", url=url, variables=VARIABLES, publishing_interval_ms=100, security=INSECURE
    )
    return OpcuaIngestor(server, url, dsn, machines, spool, backoff_max_s=0.5)


@contextlib.asynccontextmanager
async def _running(ing: OpcuaIngestor):
    task = asyncio.create_task(ing.run())
    try:
        await asyncio.wait_for(ing.subscribed.wait(), 15)
        yield ing
    finally:
        ing.stop()
        await asyncio.wait_for(task, 15)


def test_shipped_node_mapping_is_valid():
    cfg = load_opcua()
    assert cfg.servers[0].publishing_interval_ms == 500
    assert cfg.servers[0].variables["State"].table == "machine_state"


def test_status_code_kept_as_signed_quality():
    assert signed_status(0) == 0
    assert signed_status(0x40000000) == 0x40000000
    assert signed_status(0x80000000) == -(1 << 31)


def test_values_states_and_quality_land_and_restart_resubscribes(landing_dsn, tmp_path):
    port = free_port()
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    count = "SELECT count(*) FROM landing.sensor_reading WHERE metric = 'temperature'"

    async def scenario() -> OpcuaIngestor:
        server = await PlantTestServer(port, MACHINES).start()
        ing = _ingestor(landing_dsn, server.url, tmp_path / "spool")
        try:
            async with _running(ing):
                assert ing.skipped_machines == {"GHOST-9"}
                assert len(ing.bindings) == 7
                await server.write("ETCH-01", "Reason", "BREAKDOWN", ts=t0)
                await server.write("ETCH-01", "State", "DOWN", ts=t0 + timedelta(seconds=1))
                await server.write("ETCH-01", "Temperature", 181.5, ts=t0 + timedelta(seconds=2))
                await server.write("ETCH-01", "PartCount", 42, ts=t0 + timedelta(seconds=2))
                await server.write(
                    "LITHO-01", "Temperature", 22.1, ts=t0 + timedelta(seconds=3), status=0x40000000
                )  # Uncertain
                await until(lambda: scalar(landing_dsn, count) >= 4, what="temperatures")
                await until(
                    lambda: scalar(
                        landing_dsn,
                        "SELECT count(*) FROM landing.machine_state WHERE state = 'DOWN'",
                    ),
                    what="DOWN state",
                )
                # The server restarts: the ingestor reconnects, browses and subscribes again.
                await server.stop()
                await until(lambda: not ing.subscribed.is_set(), what="loss noticed")
                server = await PlantTestServer(port, MACHINES).start()
                await until(
                    lambda: ing.subscribed.is_set() and ing.connections == 2,
                    timeout=20,
                    what="resubscribed",
                )
                await server.write("ETCH-01", "Temperature", 183.25, ts=t0 + timedelta(seconds=9))
                await until(
                    lambda: scalar(
                        landing_dsn,
                        "SELECT count(*) FROM landing.sensor_reading WHERE value = 183.25",
                    ),
                    what="value after restart",
                )
        finally:
            await server.stop()
        return ing

    asyncio.run(scenario())
    q = lambda sql: scalar(landing_dsn, sql)  # noqa: E731
    assert q("SELECT reason_code FROM landing.machine_state WHERE state = 'DOWN'") == "BREAKDOWN"
    assert (
        q("SELECT count(*) FROM landing.sensor_reading WHERE metric = 'part_count' AND value = 42")
        == 1
    )
    assert (
        q(
            "SELECT quality FROM landing.sensor_reading WHERE machine_id = 'LITHO-01' "
            "AND value = 22.1"
        )
        == 0x40000000
    )
    assert q("SELECT count(*) FROM landing.sensor_reading WHERE value = 181.5") == 1
    assert q("SELECT count(*) FROM landing.ingest_status WHERE ingestor = 'opcua:test'") == 1


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """Self-signed server and client certificates (made once: RSA key generation is slow)."""
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    tmp_path = tmp_path_factory.mktemp("certs")

    async def certificates() -> None:
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
        names = {"countryName": "DE", "organizationName": "fabstack"}
        await setup_self_signed_certificate(
            tmp_path / "server_key.pem",
            tmp_path / "server_cert.der",
            "urn:fabstack:test:server",
            "127.0.0.1",
            usages,
            {**names, "commonName": "test server"},
        )
        await setup_self_signed_certificate(
            tmp_path / "client_key.pem",
            tmp_path / "client_cert.der",
            "urn:example.org:FreeOpcUa:opcua-asyncio",
            "127.0.0.1",
            usages,
            {**names, "commonName": "fab ingest"},
        )

    asyncio.run(certificates())
    return tmp_path


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
def test_basic256sha256_with_certificates(landing_dsn, tmp_path, certs, mode):
    from ingestion.stream.config import Security

    port = free_port()

    async def scenario() -> None:
        server = await PlantTestServer(
            port, {"ETCH-01": ["Temperature"]}, certs=certs, mode=mode
        ).start()
        with psycopg.connect(landing_dsn) as conn:
            machines = load_machines(conn)
        security = Security(
            mode=mode,
            policy="Basic256Sha256",
            certificate=certs / "client_cert.der",
            private_key=certs / "client_key.pem",
            server_certificate=certs / "server_cert.der",
        )
        cfg = OpcuaServer(
            name="secure",
            url=server.url,
            publishing_interval_ms=100,
            security=security,
            variables={"Temperature": VariableMap()},
        )
        ing = OpcuaIngestor(cfg, server.url, landing_dsn, machines, tmp_path / "spool")
        try:
            async with _running(ing):
                await server.write("ETCH-01", "Temperature", 177.75)
                await until(
                    lambda: scalar(
                        landing_dsn,
                        "SELECT count(*) FROM landing.sensor_reading WHERE value = 177.75",
                    ),
                    what="secure value",
                )
        finally:
            await server.stop()

    asyncio.run(scenario())
