"""Run an ingestor as a service: wire it from settings, handle signals, report progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from fabstack.errors import FabError
from fabstack.mqtt import BrokerAddress
from fabstack.sqlfile import named_queries
from ingestion.stream.config import InterlockConfig
from ingestion.stream.machines import last_lots, load_machines, load_metric_bounds
from ingestion.stream.mqtt import MqttIngestor, MqttOptions, remove_session

log = logging.getLogger("fab.ingest")
MEMBERS_SQL = Path(__file__).parent / "sql" / "members.sql"


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


@dataclass(frozen=True)
class LandingTarget:
    """Where a member lands and under which rules: the landing zone, its own disk spool (and
    the spool's cap), the interlock rules and the raw-data retention."""

    dsn: str
    spool_dir: Path
    interlocks: InterlockConfig
    retention_days: int
    spool_max_bytes: int = 1 << 30


def _ingestor_factory(options: MqttOptions, target: LandingTarget) -> Callable[[], MqttIngestor]:
    """Reads the landing zone's reference data now; builds the ingestor inside the loop."""
    machines, lots = load_reference(target.dsn)
    with psycopg.connect(target.dsn, connect_timeout=5) as conn:
        metrics = load_metric_bounds(conn)
    return lambda: MqttIngestor(
        options,
        target.dsn,
        machines,
        target.spool_dir,
        interlocks=target.interlocks,
        lots=lots,
        retention_days=target.retention_days,
        spool_max_bytes=target.spool_max_bytes,
        metrics=metrics,
    )


def run_mqtt(
    options: MqttOptions,
    target: LandingTarget,
    duration: float | None = None,
    progress: Callable[[MqttIngestor], None] | None = None,
) -> MqttIngestor:
    """Run the MQTT ingestor until SIGINT/SIGTERM (or ``duration`` s); flushes before returning."""
    make = _ingestor_factory(options, target)

    async def main() -> MqttIngestor:
        ingestor = make()
        await _run_until_signal(
            ingestor.run,
            ingestor.stop,
            duration,
            (lambda: progress(ingestor)) if progress else None,
        )
        return ingestor

    return asyncio.run(main())


async def _stop_when_idle(ingestor: MqttIngestor, idle_s: float, timeout_s: float) -> bool:
    """Stop the draining member once it has taken nothing new for ``idle_s`` (its queue is
    empty: True) or, failing that, after ``timeout_s`` (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    seen, quiet_since = (-1, -1), loop.time()
    while loop.time() < deadline:
        stats, batch = ingestor.pipeline.stats, ingestor.pipeline.batch
        now_seen = (stats.messages_total, batch.messages)
        if now_seen != seen or not ingestor.subscribed.is_set():
            seen, quiet_since = now_seen, loop.time()
        elif loop.time() - quiet_since >= idle_s:
            ingestor.stop()
            return True
        await asyncio.sleep(0.05)
    ingestor.stop()
    return False


def drain_and_leave(
    options: MqttOptions,
    target: LandingTarget,
    idle_s: float = 2.0,
    timeout_s: float = 300.0,
) -> MqttIngestor:
    """Scale a shared-subscription member down without losing its share: resume its session,
    leave the group, land what was queued for it until idle, then delete the session (and the
    member's status row). Refuses to delete while its spool still holds batches."""
    name = f"mqtt:{options.client_id}"
    with psycopg.connect(target.dsn, connect_timeout=5, autocommit=True) as conn:
        query = named_queries(MEMBERS_SQL)["member_running"]
        if conn.execute(query, {"ingestor": name, "within_s": 10.0}).fetchone()[0]:
            # its session would be taken over back and forth between the two processes
            raise FabError(f"{name} is still running (reported connected): stop it first")
    options.leave = True
    make = _ingestor_factory(options, target)

    async def main() -> MqttIngestor:
        ingestor = make()
        watcher = asyncio.create_task(_stop_when_idle(ingestor, idle_s, timeout_s))
        try:
            await _run_until_signal(ingestor.run, ingestor.stop, None, None)
        finally:
            drained = watcher.done() and not watcher.cancelled() and watcher.result()
            watcher.cancel()
        if not drained:
            raise FabError(
                f"{options.client_id}: not drained (interrupted, broker unreachable, or still "
                f"receiving after {timeout_s:.0f}s); session kept, run again"
            )
        if ingestor.committer.spool.depth:
            raise FabError(
                f"{options.client_id}: {ingestor.committer.spool.depth} batches still spooled "
                f"in {target.spool_dir} (landing zone unreachable?); session kept, run again later"
            )
        await remove_session(options)
        return ingestor

    ingestor = asyncio.run(main())
    with psycopg.connect(target.dsn, connect_timeout=5, autocommit=True) as conn:
        conn.execute(named_queries(MEMBERS_SQL)["forget_member"], {"ingestor": ingestor.name})
    return ingestor


def absent_members(conn: psycopg.Connection, offline_s: float) -> list[str]:
    """One warning per MQTT group member silent for more than ``offline_s`` while another
    member is live and messages flow: the broker keeps queueing the absent one's share."""
    rows = conn.execute(named_queries(MEMBERS_SQL)["mqtt_members"]).fetchall()
    flowing = sum(
        rate or 0 for _name, connected, silent, rate in rows if connected and silent <= offline_s
    )
    if not flowing:
        return []
    return [
        f"{name} has been offline {silent / 60:.0f} min while the group takes "
        f"{flowing:,.0f} msgs/s: the broker keeps queueing its share until its session "
        f"expires, then drops it; restart it or run "
        f"`fab ingest leave --client-id {name.removeprefix('mqtt:')}`"
        for name, _connected, silent, _rate in rows
        if silent > offline_s
    ]
