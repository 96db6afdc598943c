"""The MQTT ingestor: shared subscription, validate, route, interlock, batch, commit, then ack.

Exactly once into the landing zone: messages are QoS 1 with MANUAL acknowledgement. A PUBACK
goes out only after the message's batch is committed to PostgreSQL or fsync'd to the spool.
The session is persistent (MQTT 5, clean_start off, a session expiry), so anything not yet
acknowledged when the process dies or the connection drops is redelivered, and the landing
tables' unique keys (plus a dedupe key on dead letters) make the redelivery land once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from fabstack.mqtt import BrokerAddress
from ingestion.payloads import CommandPayload, CountPayload, topic_for
from ingestion.stream.backoff import Backoff
from ingestion.stream.batch import Batch
from ingestion.stream.committer import CommitResult, Committer
from ingestion.stream.config import InterlockConfig
from ingestion.stream.interlock import InterlockEngine, LotTracker, Trip
from ingestion.stream.machines import MachineInfo
from ingestion.stream.pipeline import BatchLimits, Pipeline
from ingestion.stream.routing import rows_for
from ingestion.stream.spool import Spool
from ingestion.stream.validate import Accepted, MessageValidator, Rejected, Telemetry

log = logging.getLogger("fab.ingest.mqtt")
DEAD_LETTER_TEXT_LIMIT = 64 * 1024
DRAIN_AT_ONCE = 256  # queued messages handled per event-loop turn


@dataclass
class MqttOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "fab-ingest-0"
    share_group: str = "ingest"
    topic_filter: str = "fab/v1/#"
    receive_maximum: int = 10_000  # unacknowledged messages the broker may send us
    session_expiry_s: int = 3600  # FAB_MQTT_SESSION_EXPIRY_S: how long a member may be away
    tls: bool = False
    cafile: str | None = None
    # The interlock identity stops are published with (FAB_MQTT_INTERLOCK_URL); None = this
    # connection (a broker without per-role ACLs, as in development).
    command_broker: BrokerAddress | None = None
    # Scale-down: resume this member's session, leave the share group and take only what is
    # already queued for it (see ``drain_and_leave``).
    leave: bool = False
    limits: BatchLimits = field(default_factory=BatchLimits)
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 15.0

    @property
    def subscription(self) -> str:
        return f"$share/{self.share_group}/{self.topic_filter}"


def dead_letter_row(source: str, topic: str, payload: bytes, error: str) -> tuple:
    """(source, topic, payload text, error, dedupe key) for ``LandingSink.write_many``."""
    key = hashlib.sha256(topic.encode("utf-8", "replace") + b"\0" + payload).hexdigest()
    text = payload[:DEAD_LETTER_TEXT_LIMIT].decode("utf-8", errors="replace").replace("\x00", "\\0")
    return (source, topic, text, error, key)


class MqttIngestor:
    def __init__(
        self,
        options: MqttOptions,
        dsn: str,
        machines: Mapping[str, MachineInfo],
        spool_dir: Path,
        interlocks: InterlockConfig | None = None,
        lots: Mapping[str, str] | None = None,
        retention_days: int = 90,
        spool_max_bytes: int = 1 << 30,
        metrics: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    ) -> None:
        self.options = options
        self.name = f"mqtt:{options.client_id}"
        self.validator = MessageValidator(
            {m: i.area_id for m, i in machines.items()}, retention_days, metrics=metrics
        )
        self.lots = LotTracker(lots)
        self.engine = InterlockEngine(interlocks or InterlockConfig(), machines, self.lots)
        self.committer = Committer(
            dsn, Spool(spool_dir, spool_max_bytes), source="mqtt", name=self.name
        )
        self.pipeline = Pipeline(self.committer, self.name, "mqtt", options.limits)
        self.pipeline.listeners.append(self._acknowledge)
        self._client: aiomqtt.Client | None = None
        self._epoch = 0
        self._stop = asyncio.Event()
        self._command_tasks: set[asyncio.Task] = set()
        self.subscribed = asyncio.Event()
        self.trips: list[tuple[Trip, float]] = []  # (trip, monotonic time the stop was sent)

    # --- lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Consume until ``stop()``; reconnects with backoff; flushes before returning."""
        flusher = asyncio.create_task(self.pipeline.run(), name="ingest-flusher")
        try:
            await self._consume_forever()
        finally:
            await self.pipeline.stop()
            await flusher
            for task in list(self._command_tasks):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 2.0)
            await asyncio.to_thread(self.committer.close)

    def stop(self) -> None:
        self._stop.set()
        self.pipeline.release_producer()  # a producer waiting for room must not hold up stop

    def _client_for(self) -> aiomqtt.Client:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.options.session_expiry_s
        props.ReceiveMaximum = self.options.receive_maximum
        client = aiomqtt.Client(
            self.options.host,
            self.options.port,
            identifier=self.options.client_id,
            username=self.options.username,
            password=self.options.password,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=props,
            keepalive=10,
            timeout=10,
            **_tls_kwargs(self.options),
        )
        client._client.manual_ack_set(True)  # PUBACK only after commit or spool (see module doc)
        return client

    async def _consume_forever(self) -> None:
        backoff = Backoff(self.options.backoff_initial_s, self.options.backoff_max_s)
        while not self._stop.is_set():
            client = self._client_for()
            try:
                async with client:
                    self._epoch += 1
                    self._client = client
                    if self.options.leave:
                        # no new share of the traffic; what the session holds still comes
                        await client.unsubscribe(self.options.subscription)
                    else:
                        await client.subscribe(self.options.subscription, qos=1)
                    self.pipeline.connected = True  # "connected" = subscribed, for the board
                    log.info(
                        "%s %s %s",
                        self.options.client_id,
                        "left" if self.options.leave else "subscribed to",
                        self.options.subscription,
                    )
                    self.subscribed.set()
                    backoff.reset()
                    await self._consume(client)
                    return  # stopped
            except aiomqtt.MqttError as exc:
                self.pipeline.connected = False
                self._client = None
                self.subscribed.clear()
                delay = backoff.next_delay()
                log.warning("broker connection lost (%s); reconnecting in %.2fs", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
            finally:
                self.pipeline.connected = False
                self._client = None

    async def _consume(self, client: aiomqtt.Client) -> None:
        stop = asyncio.create_task(self._stop.wait())
        messages = client.messages.__aiter__()
        # aiomqtt's iterator costs two tasks and two waits per message; what is already queued
        # is taken straight off its queue (up to DRAIN_AT_ONCE, then the loop gets a turn).
        queue: asyncio.Queue[aiomqtt.Message] = client._queue  # noqa: SLF001
        try:
            while True:
                nxt = asyncio.ensure_future(messages.__anext__())
                done, _ = await asyncio.wait({nxt, stop}, return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:
                    nxt.cancel()
                    return
                self._handle_message(nxt.result())
                await self.pipeline.room()
                for _ in range(min(queue.qsize(), DRAIN_AT_ONCE)):
                    self._handle_message(queue.get_nowait())
                    await self.pipeline.room()
                    if self._stop.is_set():
                        return
        finally:
            stop.cancel()

    def _handle_message(self, message: aiomqtt.Message) -> None:
        self.handle(message.topic.value, message.payload, self._epoch, message.mid, message.qos)

    # --- per message ----------------------------------------------------------------------

    def handle(self, topic: str, payload: object, epoch: int, mid: int, qos: int) -> None:
        """Validate and route one message into the current batch. Never raises on input."""
        batch = self.pipeline.batch
        batch.touch()
        if qos:
            batch.acks.append((epoch, mid, qos))
        raw = payload if isinstance(payload, bytes) else str(payload or "").encode()
        now = datetime.now(UTC)
        try:
            verdict = self.validator.check(topic, raw, now)
        except Exception as exc:  # noqa: BLE001 - a validator bug must not stop the stream
            verdict = Rejected("invalid_value", f"unexpected {type(exc).__name__}: {exc}")
        if isinstance(verdict, Rejected):
            batch.dead_letters.append(dead_letter_row("mqtt", topic, raw, verdict.error))
            return
        if not isinstance(verdict, Accepted):
            self.pipeline.stats.ignored_total += 1
            return
        model = verdict.payload
        batch.machine_ts.append(model.ts.timestamp())
        for table, rows in rows_for(verdict.machine_id, model).items():
            batch.add_rows(table, rows)
        if isinstance(model, CountPayload):
            self.lots.observe(verdict.machine_id, model.lot_id, model.track_in_ts or model.ts)
        elif isinstance(model, Telemetry) and self.engine.watched_metrics:
            self._interlocks(topic, verdict.machine_id, model, batch)

    def _interlocks(self, topic: str, machine_id: str, model: Telemetry, batch: Batch) -> None:
        watched = self.engine.watched_metrics
        for metric, value, ts, _quality in model.readings:
            if metric not in watched:
                continue
            for trip in self.engine.check(machine_id, metric, value, ts or model.ts):
                batch.interlocks += 1
                batch.add_rows("interlock_event", [trip.interlock_row()])
                quarantine = trip.quarantine_row()
                if quarantine:
                    batch.add_rows("quarantine_log", [quarantine])
                else:
                    log.error(
                        "interlock %s on %s: no lot in process known to quarantine",
                        trip.rule.id,
                        machine_id,
                    )
                site, area = topic.split("/")[2:4]
                task = asyncio.create_task(self._send_stop(site, area, trip))
                self._command_tasks.add(task)
                task.add_done_callback(self._command_tasks.discard)

    async def _send_stop(self, site: str, area: str, trip: Trip) -> None:
        command = CommandPayload(
            ts=datetime.now(UTC), command="stop", reason=trip.reason, rule_id=trip.rule.id
        )
        topic = topic_for(site, area, trip.machine_id, "command")
        body = command.model_dump_json().encode()
        for _attempt in range(50):
            client = self._client
            if client is not None:
                try:
                    await self._publish_command(client, topic, body)
                    self.trips.append((trip, asyncio.get_running_loop().time()))
                    log.warning("STOP sent to %s: %s", trip.machine_id, trip.reason)
                    return
                except aiomqtt.MqttError as exc:
                    log.error("stop for %s not sent yet: %s", trip.machine_id, exc)
            await asyncio.sleep(0.2)
        log.error("STOP for %s could not be sent: %s", trip.machine_id, trip.reason)

    async def _publish_command(self, client: aiomqtt.Client, topic: str, body: bytes) -> None:
        """On this connection, or as the interlock identity when one is configured (the
        ingestor's own identity may only read)."""
        broker = self.options.command_broker
        if broker is None:
            await client.publish(topic, body, qos=1)
            return
        async with aiomqtt.Client(**broker.client_kwargs(), timeout=5) as own:
            await own.publish(topic, body, qos=1)

    # --- after commit ---------------------------------------------------------------------

    def _acknowledge(self, batch: Batch, result: CommitResult, done: float) -> None:
        """PUBACK the batch's messages, in order, on the connection they came from."""
        client = self._client
        if client is None:
            return
        paho = client._client
        for epoch, mid, qos in batch.acks:
            if epoch == self._epoch:  # ids from an older connection mean nothing now
                paho.ack(mid, qos)


def _tls_kwargs(options: MqttOptions) -> dict[str, object]:
    return BrokerAddress(
        options.host, options.port, tls=options.tls, cafile=options.cafile
    ).tls_kwargs()


async def remove_session(options: MqttOptions) -> None:
    """Delete a member's session on the broker: connect with its client id, clean start and a
    session expiry of 0, then disconnect. Its queued messages go with it: drain them first."""
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    async with aiomqtt.Client(
        options.host,
        options.port,
        identifier=options.client_id,
        username=options.username,
        password=options.password,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=True,
        properties=props,
        timeout=10,
        **_tls_kwargs(options),
    ):
        pass
