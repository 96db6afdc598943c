"""The embedded MQTT broker (amqtt), for machines without Mosquitto.

``async with embedded_broker(port)`` runs it in-process; ``python -m fabstack.broker`` runs it as
the background process that ``fab services up`` starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator


def broker_config(port: int) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


@contextlib.asynccontextmanager
async def embedded_broker(port: int = 1883) -> AsyncIterator[None]:
    from amqtt.broker import Broker

    broker = Broker(broker_config(port))
    await broker.start()
    try:
        yield
    finally:
        await broker.shutdown()


async def _serve(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with embedded_broker(port):
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="fabstack embedded MQTT broker (amqtt)")
    parser.add_argument("--port", type=int, default=1883)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
