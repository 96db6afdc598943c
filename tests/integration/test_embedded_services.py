"""Embedded fallbacks: a throwaway PostgreSQL from the wheel, and the amqtt broker."""

from __future__ import annotations

import asyncio

import aiomqtt
import psycopg
import pytest

from fabstack.broker import embedded_broker
from fabstack.services import _embedded_pg_port, start_embedded_postgres, stop_embedded_postgres
from fabstack.settings import load_settings
from tests.conftest import free_port, wait_for


def test_embedded_postgres_starts_answers_and_stops(fab_home) -> None:
    settings = load_settings()
    endpoint = start_embedded_postgres(settings)
    try:
        assert endpoint.kind == "embedded"
        with psycopg.connect(endpoint.url) as conn:
            assert conn.execute("SELECT 40 + 2").fetchone()[0] == 42
        assert start_embedded_postgres(settings).url == endpoint.url  # reused, not restarted
    finally:
        assert stop_embedded_postgres(settings)
    assert _embedded_pg_port(fab_home / "postgres") is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(endpoint.url, connect_timeout=2)


def test_in_process_broker_relays_a_message() -> None:
    port = free_port()

    async def roundtrip() -> bytes:
        async with (
            embedded_broker(port),
            aiomqtt.Client("127.0.0.1", port) as sub,
            aiomqtt.Client("127.0.0.1", port) as pub,
        ):
            await sub.subscribe("fab/v1/T/A/M/state", qos=1)
            await pub.publish("fab/v1/T/A/M/state", b"hello", qos=1)
            async with asyncio.timeout(10):
                async for message in sub.messages:
                    return message.payload

    assert asyncio.run(roundtrip()) == b"hello"


def test_background_broker_outlives_its_starter_and_stops(fab_home) -> None:
    from fabstack.services import (
        _embedded_broker_pid,
        broker_endpoint,
        port_open,
        start_embedded_broker,
        stop_embedded_broker,
    )

    settings = load_settings()
    port = free_port()
    endpoint = start_embedded_broker(settings, port=port)
    try:
        assert endpoint.kind == "embedded" and endpoint.url.endswith(f":{port}")
        assert port_open("127.0.0.1", port)
        assert _embedded_broker_pid(settings) is not None
        assert broker_endpoint(settings, start=False).url == endpoint.url  # found again
    finally:
        assert stop_embedded_broker(settings)
    wait_for(lambda: not port_open("127.0.0.1", port), timeout=15, what="broker to stop")
    assert _embedded_broker_pid(settings) is None
