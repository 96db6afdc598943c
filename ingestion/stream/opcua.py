"""The OPC UA ingestor: browse Objects/Machines/*, subscribe at 500 ms, land data changes.

The asyncua client lives in a thread of its own with its own event loop: connecting,
browsing, subscribing and decoding publish responses (a burst of 10,000 data changes keeps
asyncua busy for hundreds of milliseconds) all happen there. Data changes cross to the ingest
loop (batching, commits, status, spool, interlock stops) as plain tuples, a publish response
at a time, through a bounded handoff, so the ingest loop never runs asyncua code and never
waits on it. Browse and subscribe go in batches (``batch_size`` nodes per request), so a
server with tens of thousands of nodes is set up in a few round trips. Status codes become
``sensor_reading.quality`` (the 32-bit code as a signed integer; 0 = Good). On connection loss
(server restart) the client is rebuilt, the address space browsed again and every node
re-subscribed, with exponential backoff and jitter between attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from asyncua import Client, Node, ua
from asyncua.common.subscription import (
    DataChangeEvent,
    OverflowPolicy,
    StatusChangeEvent,
    Subscription,
)

from ingestion.payloads import FUTURE_TOLERANCE
from ingestion.stream.backoff import Backoff
from ingestion.stream.committer import Committer
from ingestion.stream.config import InterlockConfig, OpcuaServer, VariableMap
from ingestion.stream.interlock import InterlockEngine, LotTracker, Trip
from ingestion.stream.machines import MachineInfo
from ingestion.stream.pipeline import BatchLimits, Pipeline
from ingestion.stream.spool import Spool

log = logging.getLogger("fab.ingest.opcua")
logging.getLogger("asyncua").setLevel(logging.ERROR)
STATES = {"RUNNING", "IDLE", "SETUP", "DOWN", "MAINTENANCE", "OFFLINE"}
SendStop = Callable[[MachineInfo, Trip], Awaitable[None]]
T = TypeVar("T")
CHUNK = 1_000  # data changes per handoff at most (a publish response is split into chunks)
YIELD_EVERY = 200  # data changes handled between turns of the ingest loop
BEHIND_LIMIT = 50_000  # data changes handed over but not handled before the client waits
ASYNCUA_QUEUE = 100_000  # asyncua's event queue; overflowing it forces a reconnect (resync)


def signed_status(code: int) -> int:
    """An unsigned 32-bit OPC UA status code as the signed int the quality column holds."""
    return code - (1 << 32) if code >= (1 << 31) else code


@dataclass(frozen=True, slots=True)
class Binding:
    machine_id: str
    variable: str
    mapping: VariableMap

    @property
    def metric(self) -> str:
        return self.mapping.metric or self.variable.lower()


# (binding, node id, value, source-or-server timestamp, status code): one data change, plain
Change = tuple[Binding, ua.NodeId, object, datetime | None, int]


class LoopThread:
    """A daemon thread running an event loop of its own (the asyncua client's)."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on this thread's loop and await it from another loop (cancelling the
        awaiting task cancels it there too)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)


class Handoff:
    """Chunks of data changes from the client thread to the ingest loop.

    Bounded: when the ingest loop is ``limit`` changes behind, the client thread stops taking
    events; asyncua's queue then fills, and past it the client reconnects and resyncs (OPC UA
    has no redelivery: the server sends current values again on subscribe). ``sent`` is
    written by the client thread only and ``done`` by the ingest loop only, so neither needs
    a lock.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = BEHIND_LIMIT) -> None:
        self.loop = loop
        self.limit = limit
        self.chunks: asyncio.Queue[list[Change] | None] = asyncio.Queue()
        self.sent = 0
        self.done = 0
        self._room = threading.Event()

    # client thread
    def put(self, chunk: list[Change]) -> None:
        self.sent += len(chunk)
        self.loop.call_soon_threadsafe(self.chunks.put_nowait, chunk)

    def behind(self) -> bool:
        return self.sent - self.done >= self.limit

    async def room(self) -> None:
        while self.behind():
            self._room.clear()
            if not self.behind():  # the ingest loop caught up between the check and clear
                return
            await asyncio.to_thread(self._room.wait, 0.5)

    # ingest loop
    def handled(self, n: int) -> None:
        self.done += n
        self._room.set()

    def close(self) -> None:
        self.chunks.put_nowait(None)


async def client_certificate(pki_dir: Path, application_uri: str) -> tuple[Path, Path]:
    """This client's self-signed certificate and key under ``pki_dir``, made on first use."""
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    pki_dir.mkdir(parents=True, exist_ok=True)
    cert, key = pki_dir / "client_cert.der", pki_dir / "client_key.pem"
    await setup_self_signed_certificate(
        key,
        cert,
        application_uri,
        socket.gethostname(),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"organizationName": "fabstack", "commonName": "fab ingest opcua"},
    )
    return cert, key


async def _security(client: Client, server: OpcuaServer, pki_dir: Path) -> None:
    sec = server.security
    if sec.insecure:
        log.warning("opcua:%s: connecting WITHOUT security (mode None)", server.name)
        return
    cert, key = sec.certificate, sec.private_key
    if cert is None or key is None:
        cert, key = await client_certificate(pki_dir, client.application_uri)
    parts = [sec.policy, sec.mode, str(cert), str(key)]
    if sec.server_certificate:
        parts.append(str(sec.server_certificate))
    await client.set_security_string(",".join(parts))


class OpcuaIngestor:
    def __init__(
        self,
        server: OpcuaServer,
        url: str,
        dsn: str,
        machines: Mapping[str, MachineInfo],
        spool_dir: Path,
        interlocks: InterlockConfig | None = None,
        lots: Mapping[str, str] | None = None,
        retention_days: int = 90,
        limits: BatchLimits | None = None,
        send_stop: SendStop | None = None,
        backoff_max_s: float = 10.0,
        pki_dir: Path | None = None,
    ) -> None:
        self.server = server
        self.pki_dir = pki_dir or spool_dir / "pki"  # the client certificate, if self-signed
        self.url = url
        self.machines = dict(machines)
        self.name = f"opcua:{server.name}"
        self.retention = timedelta(days=retention_days)
        self.engine = InterlockEngine(interlocks or InterlockConfig(), machines, LotTracker(lots))
        self.committer = Committer(dsn, Spool(spool_dir), source="opcua", name=self.name)
        self.pipeline = Pipeline(
            self.committer, self.name, "opcua", limits or BatchLimits(max_age_s=0.2)
        )
        self.send_stop = send_stop
        self.backoff = Backoff(0.2, backoff_max_s)
        self.bindings: dict[ua.NodeId, Binding] = {}
        self.skipped_machines: set[str] = set()
        self.subscribed = asyncio.Event()
        self.connections = 0
        self._reasons: dict[str, str] = {}
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        # set in run(): the ingest loop, the client's thread, the handoff between the two
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ua: LoopThread | None = None
        self._handoff: Handoff | None = None
        # client thread only
        self._client: Client | None = None
        self._pump_task: asyncio.Task | None = None
        self._chunk: list[Change] = []

    def stop(self) -> None:
        self._stop.set()
        self.pipeline.release_producer()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._handoff = Handoff(self._loop)
        self._ua = LoopThread(f"{self.name}-client")
        flusher = asyncio.create_task(self.pipeline.run(), name=f"{self.name}-flusher")
        drain = asyncio.create_task(self._drain(self._handoff), name=f"{self.name}-changes")
        try:
            while not self._stop.is_set():
                try:
                    await self._session()
                except (OSError, TimeoutError, ConnectionError, ua.UaError) as exc:
                    log.warning("%s: %s: %s", self.name, type(exc).__name__, exc)
                self.pipeline.connected = False
                self.subscribed.clear()
                if self._stop.is_set():
                    break
                delay = self.backoff.next_delay()
                log.warning("%s: reconnecting to %s in %.2fs", self.name, self.url, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
        finally:
            await asyncio.to_thread(self._ua.close)
            self._handoff.close()  # what was handed over still lands, then the drain ends
            await drain
            await self.pipeline.stop()
            await flusher
            await asyncio.to_thread(self.committer.close)

    async def _session(self) -> None:
        """One connection: set up in the client thread, then wait here for stop or loss."""
        assert self._ua is not None
        self._lost.clear()
        try:
            nodes = await self._ua.run(self._open())
            self.pipeline.connected = True
            self.subscribed.set()
            self.backoff.reset()
            log.info(
                "%s: %d nodes of %d machines subscribed at %d ms",
                self.name,
                nodes,
                len({b.machine_id for b in self.bindings.values()}),
                self.server.publishing_interval_ms,
            )
            stop = asyncio.create_task(self._stop.wait())
            lost_task = asyncio.create_task(self._lost.wait())
            await asyncio.wait({stop, lost_task}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            lost_task.cancel()
        finally:
            await self._ua.run(self._close())

    # --- client thread: connect, browse, subscribe, pump data changes -----------------------

    async def _open(self) -> int:
        """Connect, browse and subscribe; returns the number of nodes subscribed."""
        client = Client(self.url, timeout=10, watchdog_intervall=1.0)
        await _security(client, self.server, self.pki_dir)

        async def lost(exc: Exception) -> None:
            log.warning("%s: connection lost: %s", self.name, exc)
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._lost.set)

        client.connection_lost_callback = lost
        await client.connect()
        self._client = client
        try:
            self.connections += 1
            # A full GC pass over a 10,000-node client's objects stops every thread for ~80 ms;
            # what exists before and after browsing is long-lived, so the collector is told to
            # skip it (gc.freeze; undone when the session closes).
            gc.freeze()
            nodes = await self._browse(client)
            gc.freeze()
            # Iterator mode: asyncua queues events; the pump takes them off (see _pump).
            sub = await client.create_subscription(
                self.server.publishing_interval_ms,
                None,
                queue_maxsize=ASYNCUA_QUEUE,
                overflow=OverflowPolicy.DISCONNECT,
            )
            self._pump_task = asyncio.create_task(self._pump(sub), name=f"{self.name}-pump")
            await self._subscribe(sub, nodes)
            gc.freeze()
        except BaseException:
            await self._close()
            raise
        return len(nodes)

    async def _close(self) -> None:
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump_task
            self._pump_task = None
        self._flush()
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.disconnect(), 3)
            self._client = None
            gc.unfreeze()  # this session's objects may be collected again

    async def _pump(self, sub: Subscription) -> None:
        """Turn asyncua's events into plain tuples and hand them over in chunks. The pump does
        not yield while asyncua's queue holds events, so the flush it schedules with call_soon
        runs once a publish response is all taken (or at CHUNK changes)."""
        assert self._handoff is not None
        loop = asyncio.get_running_loop()
        async for event in sub:
            if isinstance(event, DataChangeEvent):
                binding = self.bindings.get(event.node.nodeid)
                if binding is None:
                    continue
                dv = event.data.monitored_item.Value
                if not self._chunk:
                    loop.call_soon(self._flush)
                self._chunk.append(
                    (
                        binding,
                        event.node.nodeid,
                        event.value,
                        dv.SourceTimestamp or dv.ServerTimestamp,
                        dv.StatusCode.value if dv.StatusCode else 0,
                    )
                )
                if len(self._chunk) >= CHUNK:
                    self._flush()
                if self._handoff.behind():
                    self._flush()
                    await self._handoff.room()
            elif isinstance(event, StatusChangeEvent):
                log.warning("%s: subscription status %s", self.name, event.notification.Status)

    def _flush(self) -> None:
        if self._chunk and self._handoff is not None:
            self._handoff.put(self._chunk)
            self._chunk = []

    # --- browse and subscribe, in batches ---------------------------------------------------

    async def _browse(self, client: Client) -> list[Node]:
        idx = await client.get_namespace_index(self.server.namespace)
        path = self.server.machines_path
        folder = client.nodes.root
        for name in path:
            ns = 0 if name == "Objects" else idx
            folder = await folder.get_child(f"{ns}:{name}")
        machine_nodes = await folder.get_children()
        bindings: dict[ua.NodeId, Binding] = {}
        wanted = self.server.variables
        size = self.server.batch_size
        names = await self._browse_names(client, machine_nodes)
        for start in range(0, len(machine_nodes), size):
            chunk = machine_nodes[start : start + size]
            for node, result in await client.browse_nodes(chunk):
                machine = names[node.nodeid]
                if machine not in self.machines:
                    self.skipped_machines.add(machine)
                    continue
                for ref in result.References:
                    var = ref.BrowseName.Name
                    if var in wanted:
                        bindings[ref.NodeId] = Binding(machine, var, wanted[var])
            await asyncio.sleep(0)  # let the loop breathe between batches
        if self.skipped_machines:
            log.warning(
                "%s: %d machines not in landing.machine skipped (e.g. %s)",
                self.name,
                len(self.skipped_machines),
                sorted(self.skipped_machines)[0],
            )
        self.bindings = bindings
        return [client.get_node(nid) for nid in bindings]

    async def _browse_names(self, client: Client, nodes: list[Node]) -> dict[ua.NodeId, str]:
        names: dict[ua.NodeId, str] = {}
        size = self.server.batch_size
        for start in range(0, len(nodes), size):
            chunk = nodes[start : start + size]
            values = await client.uaclient.read_attributes(
                [n.nodeid for n in chunk], ua.AttributeIds.BrowseName
            )
            for node, dv in zip(chunk, values, strict=True):
                names[node.nodeid] = dv.Value.Value.Name
        return names

    async def _subscribe(self, sub, nodes: list[Node]) -> None:
        size = self.server.batch_size
        interval = float(self.server.publishing_interval_ms)
        failed = 0
        for start in range(0, len(nodes), size):
            handles = await sub.subscribe_data_change(
                nodes[start : start + size], sampling_interval=interval, queuesize=10
            )
            failed += sum(1 for h in handles if isinstance(h, ua.StatusCode))
        if failed:
            log.error("%s: %d monitored items refused by the server", self.name, failed)

    # --- ingest loop: data changes into batches ----------------------------------------------

    async def _drain(self, handoff: Handoff) -> None:
        """Handle handed-over changes until the handoff closes; yields every YIELD_EVERY."""
        while (chunk := await handoff.chunks.get()) is not None:
            for i, change in enumerate(chunk, 1):
                self.handle(*change)
                if i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                await self.pipeline.room()
            handoff.handled(len(chunk))

    def handle(
        self, b: Binding, node_id: ua.NodeId, value: object, stamp: datetime | None, status: int
    ) -> None:
        """One data change into the current batch (or a dead letter). Never raises on input."""
        batch = self.pipeline.batch
        batch.touch()
        now = datetime.now(UTC)
        ts = stamp.replace(tzinfo=UTC) if stamp and stamp.tzinfo is None else (stamp or now)
        quality = signed_status(status)
        error = None
        if ts > now + FUTURE_TOLERANCE:
            error = f"future_timestamp: {ts.isoformat()} is more than 5 minutes ahead"
        elif ts < now - self.retention:
            error = f"expired_timestamp: {ts.isoformat()} is older than retention"
        table = b.mapping.table
        if error is None and table == "state_reason":
            self._reasons[b.machine_id] = str(value)
            return
        if error is None and table == "machine_state":
            if value in ("", None):
                return  # a server's not-yet-written variable: no state to record
            if value not in STATES:
                error = f"unknown_state: {b.variable}: {value!r} not one of {sorted(STATES)}"
            else:
                reason = self._reasons.get(b.machine_id) or "OPCUA"
                batch.add_rows("machine_state", [(ts, b.machine_id, value, reason, None)])
                batch.machine_ts.append(ts.timestamp())
                return
        if error is None:
            if value is None and quality != 0:
                return  # a Bad status without a value: nothing to land
            if isinstance(value, bool) or not isinstance(value, int | float):
                error = f"wrong_type: {b.variable}: expected a number, got {value!r}"
            elif not math.isfinite(value):
                error = f"non_finite: {b.variable}: {value!r}"
        if error is not None:
            topic = f"{self.server.name}/{node_id.to_string()}"
            batch.dead_letters.append(("opcua", topic, repr(value)[:1000], error, None))
            return
        batch.add_rows("sensor_reading", [(ts, b.machine_id, b.metric, float(value), quality)])
        batch.machine_ts.append(ts.timestamp())
        for trip in self.engine.check(b.machine_id, b.metric, float(value), ts):
            batch.interlocks += 1
            batch.add_rows("interlock_event", [trip.interlock_row()])
            if trip.quarantine_row():
                batch.add_rows("quarantine_log", [trip.quarantine_row()])
            if self.send_stop is not None:
                task = asyncio.ensure_future(self.send_stop(self.machines[b.machine_id], trip))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
