"""`fab ingest secsgem`: a GEM host for many tools at once, landing like the MQTT ingestor.

One ``secsgem`` host handler (its own threads) per tool in the plant file's ``gem`` section.
On each (re)connection: S1F13 (the library's handshake), then define and link the reports and
enable the events (S2F33/S2F35/S2F37), enable the alarms (S5F3), start a trace (S2F23) or poll
(S1F3), and ask for what the tool spooled while the link was down (S6F23).

Received data is mapped (``mapping.ToolMap``) into the shared ``Pipeline`` (batching, COPY,
disk spool, dead letters) on the asyncio loop; the tool's message is acknowledged only when its
batch is committed or spooled, so a reply never promises what could still be lost. Keys are the
equipment time: a message the tool re-sends after a lost reply lands once. Readings pass the
interlock engine; a trip sends S2F41 and records the acknowledgement on the interlock event
and the quarantine entry.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import secsgem.common
import secsgem.gem
import secsgem.hsms

from fabstack.sqlfile import named_queries
from ingestion.gem.link import hsms_timeouts, watch_link
from ingestion.gem.mapping import Decoded, ToolMap
from ingestion.plant import GemToolSpec
from ingestion.stream.batch import Batch
from ingestion.stream.committer import CommitResult, Committer
from ingestion.stream.config import InterlockConfig
from ingestion.stream.interlock import InterlockEngine, LotTracker, Trip
from ingestion.stream.machines import MachineInfo
from ingestion.stream.pipeline import BatchLimits, Pipeline
from ingestion.stream.spool import Spool

log = logging.getLogger("fab.ingest.gem")
QUERIES = named_queries(Path(__file__).parent / "sql" / "gem.sql")
SOURCE = "secsgem"
ACK_WAIT_S = 30.0
HCACK = {
    0: "ok",
    1: "invalid command",
    2: "cannot do now",
    3: "parameter error",
    4: "will finish later",
    5: "rejected",
    6: "invalid object",
}


@dataclass
class LinkStatus:
    state: str = "connecting"
    last_message: str = ""
    last_message_at: datetime | None = None
    messages: int = 0
    rows: int = 0
    dead_letters: int = 0
    connections: int = 0
    commands: list[str] = field(default_factory=list)


class ToolLink(secsgem.gem.GemHostHandler):
    """The host side of one tool."""

    def __init__(self, spec: GemToolSpec, host: GemIngestor) -> None:
        settings = secsgem.hsms.HsmsSettings(
            address=spec.address,
            port=spec.port,
            connect_mode=(
                secsgem.hsms.HsmsConnectMode.ACTIVE
                if spec.mode == "active"
                else secsgem.hsms.HsmsConnectMode.PASSIVE
            ),
            device_type=secsgem.common.DeviceType.HOST,
            session_id=spec.device_id,
        )
        hsms_timeouts(settings, host.reply_timeout_s, host.reconnect_s)
        super().__init__(settings)
        self.spec = spec
        self.host = host
        self.map = ToolMap(spec)
        self.status = LinkStatus()
        self._poller: threading.Thread | None = None
        self._session = 0
        self.ready = threading.Event()
        self.events.handler_communicating += self._on_up
        # both sides open with S1F13; the other's late S1F14 needs no handling
        self.register_stream_function(1, 14, lambda _handler, _message: None)
        watch_link(self, self._on_down)

    # --- session set-up -----------------------------------------------------------------------

    def _on_up(self, _data) -> None:
        self._session += 1
        self.status.state = "setting up"
        self.status.connections += 1
        threading.Thread(target=self._set_up, args=(self._session,), daemon=True).start()

    def _on_down(self) -> None:
        self.ready.clear()
        self.status.state = "down"

    def _ask(self, stream: int, function: int, body: object = None):
        reply = self.send_and_waitfor_response(self.stream_function(stream, function)(body))
        if reply is None:
            raise TimeoutError(f"S{stream}F{function}: no reply")
        return self.settings.streams_functions.decode(reply).get()

    def _set_up(self, session: int) -> None:
        """Set the session up; a timed-out step (a slow or busy tool) is retried from the
        start while the same connection lasts, since without it nothing is collected."""
        attempt = 0
        while self._session == session and self.status.state != "down" and self.host.running:
            attempt += 1
            if self._set_up_once(session):
                return
            time.sleep(min(10.0, float(attempt)))

    def _set_up_once(self, session: int) -> bool:
        spec = self.spec
        try:
            self._ask(2, 33, {"DATAID": 0, "DATA": []})  # forget earlier reports and links
            dv = spec.dvids
            layouts = {
                "state_changed": [dv["time"], dv["seq"], dv["state"], dv["reason"]],
                "alarm_set": [dv["time"], dv["seq"], dv["alid"]],
            }
            reports = {}
            for n, (ceid, kind) in enumerate(sorted(spec.ceids.items()), start=1):
                reports[n] = (ceid, layouts[kind])
            defined = [{"RPTID": r, "VID": vids} for r, (_c, vids) in reports.items()]
            self._ask(2, 33, {"DATAID": 1, "DATA": defined})
            self.map.reports = {r: vids for r, (_c, vids) in reports.items()}
            links = [{"CEID": ceid, "RPTID": [r]} for r, (ceid, _v) in reports.items()]
            self._ask(2, 35, {"DATAID": 2, "DATA": links})
            self._ask(2, 37, {"CEED": True, "CEID": list(spec.ceids)})
            for alid in spec.alarms:
                self._ask(5, 3, {"ALED": 0x80, "ALID": alid})
            if spec.collection == "trace":
                self.map.trace_svids = list(spec.svids)
                period = 1.0 / spec.rate_hz
                whole, cents = int(period), round((period % 1) * 100)
                dsper = time.strftime("%H%M%S", time.gmtime(whole)) + f"{cents:02d}"
                ack = self._ask(
                    2,
                    23,
                    {"TRID": 1, "DSPER": dsper, "TOTSMP": 0, "REPGSZ": 1, "SVID": list(spec.svids)},
                )
                if ack != 0:
                    raise ValueError(f"S2F23 refused (TIAACK {ack})")
            else:
                self._poller = threading.Thread(target=self._poll, args=(session,), daemon=True)
                self._poller.start()
            self._ask(6, 23, 0)  # RSDC 0: send what was spooled during the outage
        except Exception as exc:  # noqa: BLE001 - a tool that refuses or times out: retried
            self.status.state = f"set-up failed: {exc}"
            log.warning("%s: GEM set-up failed: %s", spec.machine, exc)
            return False
        self.status.state = "communicating"
        self.ready.set()
        return True

    def _poll(self, session: int) -> None:
        svids = list(self.spec.svids)
        period = 1.0 / self.spec.rate_hz
        next_at = time.monotonic()
        while self._session == session and self.status.state != "down" and self.host.running:
            try:
                values = self._ask(1, 3, svids)
            except TimeoutError:
                continue
            self._receive("S1F4", self.map.poll(svids, values, datetime.now(UTC)), None)
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))

    # --- received messages ----------------------------------------------------------------

    def _decode(self, message, what: str):
        try:
            return self.settings.streams_functions.decode(message).get()
        except Exception as exc:  # the item types do not fit the message's format
            self._receive(
                what, Decoded(errors=[f"wrong_type: {what} does not decode: {exc}"]), repr(message)
            )
            return None

    def _on_s06f01(self, handler, message):
        body = self._decode(message, "S6F1")
        if body is not None:
            self._receive("S6F1", self.map.trace(body), body)
        return self.stream_function(6, 2)(0)

    def _on_s06f11(self, handler, message):
        body = self._decode(message, "S6F11")
        if body is not None:
            self._receive("S6F11", self.map.event(body), body)
        return self.stream_function(6, 12)(0)

    def _on_s05f01(self, handler, message):
        body = self._decode(message, "S5F1")
        if body is not None:
            reason = self.map.alarm_report(body)
            self._receive("S5F1", Decoded(errors=[reason] if reason else []), body)
        return self.stream_function(5, 2)(0)

    def _receive(self, what: str, decoded: Decoded, body: object) -> None:
        """Hand to the ingest loop and wait until it is committed or spooled."""
        s = self.status
        s.messages += 1
        s.last_message, s.last_message_at = what, datetime.now(UTC)
        s.rows += sum(len(r) for r in decoded.rows.values())
        s.dead_letters += len(decoded.errors)
        done = self.host.submit(self, what, decoded, body)
        with contextlib.suppress(concurrent.futures.TimeoutError):
            done.result(ACK_WAIT_S)

    def stop_tool(self, trip: Trip) -> str:
        """S2F41 the stop command; -> the acknowledgement as recorded."""
        try:
            reply = self.send_remote_command(self.spec.stop_command, []).get()
            hcack = reply.get("HCACK")
            ack = f"S2F41 {self.spec.stop_command}: HCACK {hcack} ({HCACK.get(hcack, '?')})"
        except Exception as exc:  # link down, no reply: recorded as such
            ack = f"S2F41 {self.spec.stop_command}: no acknowledgement ({exc})"
        self.status.commands.append(ack)
        return ack


class GemIngestor:
    """All the tool links, one pipeline, one committer."""

    def __init__(
        self,
        tools: list[GemToolSpec],
        dsn: str,
        machines: Mapping[str, MachineInfo],
        spool_dir: Path,
        interlocks: InterlockConfig | None = None,
        lots: Mapping[str, str] | None = None,
        limits: BatchLimits | None = None,
        reply_timeout_s: float = 5.0,
        reconnect_s: float = 1.0,
        name: str = "secsgem",
    ) -> None:
        self.dsn = dsn
        self.name = name
        self.reply_timeout_s = reply_timeout_s
        self.reconnect_s = reconnect_s
        self.engine = InterlockEngine(interlocks or InterlockConfig(), machines, LotTracker(lots))
        self.committer = Committer(dsn, Spool(spool_dir), source=SOURCE)
        self.pipeline = Pipeline(self.committer, name, SOURCE, limits or BatchLimits(max_age_s=0.1))
        self.pipeline.listeners.append(self._committed)
        self.links = {t.machine: ToolLink(t, self) for t in tools}
        self.running = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[int, list[concurrent.futures.Future]] = {}
        self._stop = asyncio.Event()
        self._last_status = 0.0

    # --- threads -> loop -------------------------------------------------------------------

    def submit(self, link: ToolLink, what: str, decoded: Decoded, body: object):
        done: concurrent.futures.Future = concurrent.futures.Future()
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._accept, link, what, decoded, body, done)
        return done

    def _accept(self, link, what, decoded: Decoded, body, done) -> None:
        batch = self.pipeline.batch
        batch.touch()
        for table, rows in decoded.rows.items():
            batch.add_rows(table, rows)
        batch.machine_ts.extend(decoded.machine_ts)
        topic = f"{link.spec.machine}/{what}"
        payload = repr(body)[:4000]
        for error in decoded.errors:
            key = hashlib.sha1(f"{topic}\x1f{payload}\x1f{error}".encode()).hexdigest()
            batch.dead_letters.append((SOURCE, topic, payload, error, key))
        for ts, machine, metric, value, _q in decoded.rows.get("sensor_reading", ()):
            for trip in self.engine.check(machine, metric, value, ts):
                batch.interlocks += 1
                self._loop.run_in_executor(None, self._trip, link, trip)
        self._waiters.setdefault(id(batch), []).append(done)
        self._loop.create_task(self.pipeline.room())

    def _trip(self, link: ToolLink, trip: Trip) -> None:
        """Stop the tool, then record the trip with the tool's acknowledgement."""
        ack = link.stop_tool(trip)
        ts, machine, rule, metric, value, threshold, _action = trip.interlock_row()
        decoded = Decoded()
        decoded.add(
            "interlock_event", (ts, machine, rule, metric, value, threshold, f"stop; {ack}")
        )
        quarantine = trip.quarantine_row()
        if quarantine:
            decoded.add("quarantine_log", (*quarantine[:3], f"{quarantine[3]}; {ack}"))
        self.submit(link, "S2F42", decoded, ack)

    def _committed(self, batch: Batch, result: CommitResult, done: float) -> None:
        for future in self._waiters.pop(id(batch), []):
            future.set_result(result)
        if done - self._last_status >= 1.0:
            self._last_status = done
            self._loop.run_in_executor(None, self.write_status)

    # --- status ----------------------------------------------------------------------------

    def tool_status(self) -> list[dict]:
        return [
            {
                "ingestor": f"{self.name}:{machine}",
                "machine_id": machine,
                "link_state": link.status.state,
                "connected": link.status.state == "communicating",
                "last_message": link.status.last_message,
                "last_message_at": link.status.last_message_at,
                "messages_total": link.status.messages,
                "rows_total": link.status.rows,
                "dead_letters_total": link.status.dead_letters,
                "connections": link.status.connections,
                "endpoint": f"{link.spec.address}:{link.spec.port}",
            }
            for machine, link in self.links.items()
        ]

    def write_status(self) -> None:
        """One ``landing.ingest_status`` row per tool (``fab ingest status`` lists them)."""
        try:
            with (
                psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn,
                conn.cursor() as cur,
            ):
                cur.executemany(QUERIES["upsert_tool_status"], self.tool_status())
        except psycopg.Error as exc:
            log.warning("GEM status not written: %s", str(exc).strip().splitlines()[0])

    # --- run -------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.running = True
        flusher = asyncio.create_task(self.pipeline.run(), name=f"{self.name}-flusher")
        for link in self.links.values():
            link.enable()
        self.pipeline.connected = True
        try:
            await self._stop.wait()
        finally:
            self.running = False
            for link in self.links.values():
                await asyncio.to_thread(link.disable)
            await self.pipeline.stop()
            await flusher
            for future in [f for fs in self._waiters.values() for f in fs]:
                if not future.done():
                    future.set_result(CommitResult())
            await asyncio.to_thread(self.write_status)
            await asyncio.to_thread(self.committer.close)
