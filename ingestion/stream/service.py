"""Run an ingestor as a service: wire it from settings, handle signals, report progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path

import psycopg

from fabstack.errors import FabError
from fabstack.mqtt import BrokerAddress
from ingestion.stream.config import InterlockConfig
from ingestion.stream.machines import last_lots, load_machines, load_metric_bounds
from ingestion.stream.mqtt import MqttIngestor, MqttOptions

log = logging.getLogger("fab.ingest")


def load_reference(dsn: str) -> tuple[dict, dict]:
    """Machines and each machine's last lot, from the landing zone (one-line error if absent)."""
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            machines = load_machines(conn)
            lots = last_lots(conn)
    except psycopg.errors.UndefinedTable:
        raise FabError("landing zone is not migrated: run `fab db migrate`") from None
    except psycopg.OperationalError as exc:
        raise FabError(f"landing zone unreachable: {str(exc).strip().splitlines()[0]}") from None
    if not machines:
        raise FabError("landing.machine is empty: run `fab db seed` first")
    return machines, lots


def broker_address(url: str) -> BrokerAddress:
    return BrokerAddress.parse(url)


async def _run_until_signal(
    run: Callable[[], object],
    stop: Callable[[], None],
    duration: float | None,
    progress: Callable[[], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    task = asyncio.ensure_future(run())
    if duration is not None:
        loop.call_later(duration, stop)
    while not task.done():
        await asyncio.wait({task}, timeout=5.0)
        if progress and not task.done():
            progress()
    task.result()


def run_mqtt(
    options: MqttOptions,
    dsn: str,
    spool_dir: Path,
    interlocks: InterlockConfig,
    retention_days: int,
    spool_max_bytes: int,
    duration: float | None = None,
    progress: Callable[[MqttIngestor], None] | None = None,
) -> MqttIngestor:
    """Run the MQTT ingestor until SIGINT/SIGTERM (or ``duration`` s); flushes before returning."""
    machines, lots = load_reference(dsn)
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        metrics = load_metric_bounds(conn)

    async def main() -> MqttIngestor:
        ingestor = MqttIngestor(
            options,
            dsn,
            machines,
            spool_dir,
            interlocks=interlocks,
            lots=lots,
            retention_days=retention_days,
            spool_max_bytes=spool_max_bytes,
            metrics=metrics,
        )
        await _run_until_signal(
            ingestor.run,
            ingestor.stop,
            duration,
            (lambda: progress(ingestor)) if progress else None,
        )
        return ingestor

    return asyncio.run(main())
