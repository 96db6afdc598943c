"""Simulated tools as GEM equipment (HSMS passive, ``secsgem``'s equipment side), one port each.

Each tool reports what the simulator gives it: sensor samples as trace data (S6F1, once the
host set up a trace with S2F23; numbered by SMPLN, stamped with the equipment time STIME),
state changes and alarm sets as collection events (S6F11 with the reports the host defined),
and alarms (S5F1). Status variables answer S1F3 polls with the latest sample.

Everything to the host goes through one outbox per tool, sent in order with a reply awaited.
When the link is down, or a send gets no reply, the outbox holds (E30 spooling) until the host
asks for the spool with S6F23; then it goes out, oldest first. A message whose reply was lost
is sent again: the host's keys (equipment time) make that harmless. S2F41 STOP stops the tool.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

import secsgem.common
import secsgem.gem
import secsgem.hsms
import secsgem.secs
from secsgem.secs.variables import F8, U4, String

from ingestion.gem.link import hsms_timeouts, watch_link
from ingestion.plant import GemSpec, GemToolSpec

log = logging.getLogger("fab.gem.equipment")
SPOOL_LIMIT = 200_000  # messages held per tool while the host is away (about 2 days at 1 Hz)
STATE_CE, ALARM_CE = "state_changed", "alarm_set"


def gem_time(ts: datetime) -> str:
    """E5 extended TIME format: ISO 8601 with the zone."""
    return ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class SimulatedTool(secsgem.gem.GemEquipmentHandler):
    """One tool: HSMS passive on ``spec.port``; ``on_command(machine, rcmd)`` is called for a
    remote command the tool accepts."""

    def __init__(
        self,
        spec: GemToolSpec,
        on_command: Callable[[str, str], None] | None = None,
        port: int | None = None,
        reply_timeout_s: float = 5.0,
    ) -> None:
        settings = secsgem.hsms.HsmsSettings(
            address=spec.address,
            port=port or spec.port,
            connect_mode=secsgem.hsms.HsmsConnectMode.PASSIVE,
            device_type=secsgem.common.DeviceType.EQUIPMENT,
            session_id=spec.device_id,
        )
        hsms_timeouts(settings, reply_timeout_s, 1.0)
        super().__init__(settings)
        # both sides open with S1F13; the other's late S1F14 needs no handling
        self.register_stream_function(1, 14, lambda _handler, _message: None)
        watch_link(self, self._link_lost)
        self.spec = spec
        self.on_command = on_command
        self._metric_svid = {s.metric: svid for svid, s in spec.svids.items()}
        for svid, s in spec.svids.items():
            self.status_variables[svid] = secsgem.gem.StatusVariable(
                svid, s.metric, "", F8, use_callback=False
            )
            self.status_variables[svid].value = 0.0
        self._event_values: dict[int, object] = {}
        for name, dvid in spec.dvids.items():
            kind = U4 if name in ("seq", "alid") else String
            self.data_values[dvid] = secsgem.gem.DataValue(dvid, name, kind, use_callback=False)
            self.data_values[dvid].value = 0 if kind is U4 else ""
        for ceid, name in spec.ceids.items():
            dvs = list(spec.dvids.values())
            self.collection_events[ceid] = secsgem.gem.CollectionEvent(ceid, name, dvs)
        for alid, alarm in spec.alarms.items():
            self.alarms[alid] = secsgem.gem.Alarm(
                alid,
                alarm.code,
                alarm.text or alarm.code,
                0x80 | alarm.severity,
                spec.ceids and next(iter(spec.ceids)),
                spec.ceids and next(iter(spec.ceids)),
            )
        self.remote_commands[spec.stop_command] = secsgem.gem.RemoteCommand(
            spec.stop_command, "stop the tool", [], secsgem.gem.CollectionEventId.CMD_STOP_DONE
        )
        self.register_stream_function(2, 23, self._trace_init)
        self.register_stream_function(6, 23, self._spool_request)
        setattr(self._callback_handler, f"rcmd_{spec.stop_command}", self._stop)
        self.trace_svids: list[int] = []
        self.trace_id: int | None = None
        self.commands: list[str] = []
        self._seq = 0
        self._sample_no = 0
        self._outbox: deque = deque()
        self._hold = False  # spooling: wait for S6F23 before sending
        self._wake = threading.Condition()
        self._running = False
        self._sender: threading.Thread | None = None
        self.sent = 0
        self.spooled_max = 0

    # --- life -----------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        self.enable()
        self._sender = threading.Thread(target=self._send_loop, daemon=True, name=self.spec.machine)
        self._sender.start()

    def stop(self) -> None:
        self._running = False
        with self._wake:
            self._wake.notify_all()
        # secsgem 0.3.0 closes the listening socket under its own select(); the server thread
        # then dies on accept() without clearing its stop flag, and disable() waits forever.
        closer = threading.Thread(target=self.disable, daemon=True)
        closer.start()
        closer.join(2)
        if closer.is_alive():
            self.protocol._connection._stop_server_thread = False  # noqa: SLF001
            closer.join(5)
        if self._sender:
            self._sender.join(5)

    def _link_lost(self) -> None:
        with self._wake:
            self._hold = True  # what is not acknowledged waits for the host's S6F23
        self.trace_id = None

    # --- what the simulator feeds ----------------------------------------------------------

    def sample(self, ts: datetime, values: dict[str, float]) -> None:
        """One sensor sample: latest SV values, and trace data when a trace is running."""
        for metric, value in values.items():
            svid = self._metric_svid.get(metric)
            if svid is not None:
                self.status_variables[svid].value = float(value)
        if self.trace_id is None and not self._hold:
            return
        self._sample_no += 1
        trace_svids = self.trace_svids or list(self.spec.svids)
        sv = [float(self.status_variables[s].value) for s in trace_svids]
        body = {
            "TRID": self.trace_id or 1,
            "SMPLN": self._sample_no,
            "STIME": gem_time(ts),
            "SV": sv,
        }
        self._post(6, 1, body)

    def state_changed(self, ts: datetime, state: str, reason: str) -> None:
        self._event(STATE_CE, ts, state=state, reason=reason)

    def alarm(self, ts: datetime, alid: int) -> None:
        alarm = self.alarms.get(alid)
        if alarm is not None and alarm.enabled:
            self._post(5, 1, {"ALCD": alarm.code, "ALID": alid, "ALTX": alarm.text})
        self._event(ALARM_CE, ts, alid=alid)

    def send_raw(self, stream: int, function: int, body: object) -> None:
        """Queue any message (tests use it for what a misbehaving tool sends)."""
        self._post(stream, function, body)

    # --- internals ---------------------------------------------------------------------------

    def _event(self, name: str, ts: datetime, **values: object) -> None:
        ceid = next((c for c, n in self.spec.ceids.items() if n == name), None)
        link = self.registered_collection_events.get(ceid)
        if ceid is None or link is None or not link.enabled:
            return
        self._seq += 1
        current = {"time": gem_time(ts), "seq": self._seq, "state": "", "reason": "", "alid": 0}
        current.update(values)
        dv_of = {dvid: current[name] for name, dvid in self.spec.dvids.items()}
        reports = [
            {"RPTID": rptid, "V": [dv_of.get(v, "") for v in self.registered_reports[rptid].vars]}
            for rptid in link.reports
        ]
        self._post(6, 11, {"DATAID": self._seq, "CEID": ceid, "RPT": reports})

    def _post(self, stream: int, function: int, body: object) -> None:
        with self._wake:
            if len(self._outbox) >= SPOOL_LIMIT:
                self._outbox.popleft()  # E30 spool overflow: the oldest goes
            self._outbox.append((stream, function, body))
            self.spooled_max = max(self.spooled_max, len(self._outbox))
            self._wake.notify()

    def _send_loop(self) -> None:
        while self._running:
            with self._wake:
                while self._running and (not self._outbox or self._hold or not self._linked()):
                    self._wake.wait(0.5)
                if not self._running:
                    return
                stream, function, body = self._outbox[0]
            message = self.stream_function(stream, function)(body)
            message.is_reply_required = True
            reply = self.send_and_waitfor_response(message)
            with self._wake:
                if reply is None:
                    self._hold = True
                    continue
                self._outbox.popleft()
                self.sent += 1

    def _linked(self) -> bool:
        return self.communication_state.current.name == "COMMUNICATING"

    def _trace_init(self, handler, message):
        function = self.settings.streams_functions.decode(message)
        svids = [int(v) for v in function.SVID.get()]
        unknown = [v for v in svids if v not in self.status_variables]
        if unknown:
            return self.stream_function(2, 24)(5)  # TIAACK 5: unknown SVID
        self.trace_svids = svids
        self.trace_id = int(function.TRID.get())
        return self.stream_function(2, 24)(0)

    def _spool_request(self, handler, message):
        with self._wake:
            self._hold = False
            self._wake.notify_all()
        return self.stream_function(6, 24)(0)

    def _stop(self, **_params) -> None:
        self.commands.append(self.spec.stop_command)
        if self.on_command:
            self.on_command(self.spec.machine, self.spec.stop_command)


def _stamp(ts: float | datetime) -> datetime:
    return ts if isinstance(ts, datetime) else datetime.fromtimestamp(float(ts), UTC)


class GemFleet:
    """Every tool of a plant's GEM section, fed by the live simulator."""

    def __init__(self, gem: GemSpec, on_command: Callable[[str, str], None] | None = None):
        self.tools = {t.machine: SimulatedTool(t, on_command) for t in gem.tools}
        self._alid = {t.machine: {a.code: alid for alid, a in t.alarms.items()} for t in gem.tools}

    def start(self) -> None:
        for tool in self.tools.values():
            tool.start()

    def stop(self) -> None:
        for tool in self.tools.values():
            tool.stop()

    def samples(self, machine: str, stamps: list[float], values: dict[str, list[float]]) -> None:
        tool = self.tools.get(machine)
        if tool is None:
            return
        for i, ts in enumerate(stamps):
            tool.sample(_stamp(ts), {metric: column[i] for metric, column in values.items()})

    def events(self, rows: dict[str, list[tuple]]) -> None:
        """The simulator's state and alarm rows as collection events (and S5F1)."""
        for ts, machine, state, reason, *_ in rows.get("machine_state", []):
            if machine in self.tools:
                self.tools[machine].state_changed(_stamp(ts), state, reason)
        for ts, machine, code, *_ in rows.get("alarm", []):
            alid = self._alid.get(machine, {}).get(code)
            if alid is not None:
                self.tools[machine].alarm(_stamp(ts), alid)
