"""The OPC UA ingestor: browse Objects/Machines/*, subscribe at 500 ms, land data changes.

Browse and subscribe go in batches (``batch_size`` nodes per request), so a server with tens of
thousands of nodes is set up in a few round trips and the event loop never waits on one long
call. Status codes become ``sensor_reading.quality`` (the 32-bit code as a signed integer;
0 = Good). On connection loss (server restart) the client is rebuilt, the address space browsed
again and every node re-subscribed, with exponential backoff and jitter between attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asyncua import Client, Node, ua

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


async def _security(client: Client, server: OpcuaServer) -> None:
    sec = server.security
    if sec.mode == "None":
        return
    parts = [sec.policy, sec.mode, str(sec.certificate), str(sec.private_key)]
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
    ) -> None:
        self.server = server
        self.url = url
        self.machines = dict(machines)
        self.name = f"opcua:{server.name}"
        self.retention = timedelta(days=retention_days)
        self.engine = InterlockEngine(interlocks or InterlockConfig(), machines, LotTracker(lots))
        self.committer = Committer(dsn, Spool(spool_dir), source="opcua")
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
        self._since_yield = 0
        self._stop = asyncio.Event()
        self._lost = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        flusher = asyncio.create_task(self.pipeline.run(), name=f"{self.name}-flusher")
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
            await self.pipeline.stop()
            await flusher
            await asyncio.to_thread(self.committer.close)

    async def _session(self) -> None:
        client = Client(self.url, timeout=10, watchdog_intervall=1.0)
        await _security(client, self.server)
        self._lost.clear()

        async def lost(exc: Exception) -> None:
            log.warning("%s: connection lost: %s", self.name, exc)
            self._lost.set()

        client.connection_lost_callback = lost
        await client.connect()
        try:
            self.connections += 1
            nodes = await self._browse(client)
            sub = await client.create_subscription(self.server.publishing_interval_ms, self)
            await self._subscribe(sub, nodes)
            self.pipeline.connected = True
            self.subscribed.set()
            self.backoff.reset()
            log.info(
                "%s: %d nodes of %d machines subscribed at %d ms",
                self.name,
                len(nodes),
                len({b.machine_id for b in self.bindings.values()}),
                self.server.publishing_interval_ms,
            )
            stop = asyncio.create_task(self._stop.wait())
            lost_task = asyncio.create_task(self._lost.wait())
            await asyncio.wait({stop, lost_task}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            lost_task.cancel()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 3)

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

    # --- data changes -----------------------------------------------------------------------

    async def datachange_notification(self, node: Node, val: object, data) -> None:
        binding = self.bindings.get(node.nodeid)
        if binding is None:
            return
        dv = data.monitored_item.Value
        self.handle(binding, node, val, dv)
        self._since_yield += 1
        if self._since_yield >= 200:  # a publish response can carry thousands of changes
            self._since_yield = 0
            await asyncio.sleep(0)
        await self.pipeline.room()

    def status_change_notification(self, status) -> None:
        log.warning("%s: subscription status %s", self.name, status)

    def handle(self, b: Binding, node: Node, value: object, dv: ua.DataValue) -> None:
        """One data change into the current batch (or a dead letter). Never raises on input."""
        batch = self.pipeline.batch
        batch.touch()
        now = datetime.now(UTC)
        stamp = dv.SourceTimestamp or dv.ServerTimestamp
        ts = stamp.replace(tzinfo=UTC) if stamp and stamp.tzinfo is None else (stamp or now)
        quality = signed_status(dv.StatusCode.value if dv.StatusCode else 0)
        topic = f"{self.server.name}/{node.nodeid.to_string()}"
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
