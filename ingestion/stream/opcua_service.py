"""Run OPC UA ingestors (one per configured server) until a signal, with stop commands over MQTT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import aiomqtt

from fabstack.mqtt import BrokerAddress
from ingestion.payloads import CommandPayload, topic_for
from ingestion.stream.config import InterlockConfig, OpcuaServer
from ingestion.stream.interlock import Trip
from ingestion.stream.machines import MachineInfo
from ingestion.stream.opcua import OpcuaIngestor
from ingestion.stream.service import load_reference

log = logging.getLogger("fab.ingest.opcua")


class CommandPublisher:
    """Publishes interlock stop commands to ``fab/v1/{site}/{area}/{machine}/command``."""

    def __init__(self, broker: BrokerAddress) -> None:
        self.broker = broker

    async def __call__(self, machine: MachineInfo, trip: Trip) -> None:
        command = CommandPayload(
            ts=trip.ts, command="stop", reason=trip.reason, rule_id=trip.rule.id
        )
        topic = topic_for(machine.site_id, machine.area_id, machine.machine_id, "command")
        try:
            async with aiomqtt.Client(**self.broker.client_kwargs(), timeout=5) as client:
                await client.publish(topic, command.model_dump_json().encode(), qos=1)
            log.warning("STOP sent to %s: %s", machine.machine_id, trip.reason)
        except aiomqtt.MqttError as exc:
            log.error("STOP for %s not sent: %s", machine.machine_id, exc)


def run_opcua(
    servers: list[OpcuaServer],
    default_url: str,
    dsn: str,
    spool_dir: Path,
    interlocks: InterlockConfig,
    retention_days: int,
    duration: float | None = None,
    console=None,
    broker: BrokerAddress | None = None,
    pki_dir: Path | None = None,
) -> list[OpcuaIngestor]:
    machines, lots = load_reference(dsn)

    async def main() -> list[OpcuaIngestor]:
        send = CommandPublisher(broker) if broker else None
        ingestors = [
            OpcuaIngestor(
                s,
                s.url or default_url,
                dsn,
                machines,
                spool_dir / s.name,
                interlocks=interlocks,
                lots=lots,
                retention_days=retention_days,
                send_stop=send,
                pki_dir=pki_dir,
            )
            for s in servers
        ]
        loop = asyncio.get_running_loop()

        def stop_all() -> None:
            for ing in ingestors:
                ing.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop_all)
        if duration is not None:
            loop.call_later(duration, stop_all)
        tasks = [asyncio.create_task(ing.run()) for ing in ingestors]
        while not all(t.done() for t in tasks):
            await asyncio.wait(tasks, timeout=5.0)
            if console is not None:
                for ing in ingestors:
                    s = ing.pipeline.status()
                    console.print(
                        f"[dim]{ing.name}: {len(ing.bindings):,} nodes, "
                        f"{s['rows_total']:,} rows, {s['rows_per_s']:,.0f} rows/s, "
                        f"{s['dead_letters_total']} dead letters, "
                        f"{'connected' if s['connected'] else 'DISCONNECTED'}[/]"
                    )
        for t in tasks:
            t.result()
        return ingestors

    return asyncio.run(main())
