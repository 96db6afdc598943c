"""Live mode: run the fab model on a (possibly accelerated) clock and publish what happens.

Every tick the model advances ``speed x tick`` simulated seconds; events become MQTT messages
per the contract in ``ingestion/payloads.py`` (QoS 1, telemetry batched per machine per tick),
the OPC UA server's variables are updated, and ``stop``/``resume`` commands on each machine's
command topic act on the model. Chaos faults arrive on ``fab/v1/_sim/chaos``; a network
partition holds a machine's messages on the publisher and releases them late, with their
original timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from fabstack.errors import FabError
from fabstack.mqtt import BrokerAddress, machine_password
from ingestion.payloads import CommandPayload, parse_topic, topic_for
from ingestion.plant import PlantSpec
from ingestion.simulator.model import FabModel
from ingestion.simulator.opcua_server import NodeMap, PlantOpcUaServer, SecurityMode
from ingestion.simulator.sensors import machine_block
from ingestion.simulator.truth import run_id_for, write_truth

log = logging.getLogger(__name__)

CHAOS_TOPIC = "fab-sim/{site}/chaos"  # outside fab/v1/#, so ingestors never see it
CHAOS_ACK_TOPIC = "fab-sim/{site}/chaos/ack"
FAULTS = ("machine_down", "sensor_spike", "efficiency_drop", "network_partition")
READINGS_PER_MESSAGE = 2000
TRUTH_EVERY_S = 30.0


class ChaosRequest(BaseModel):
    machine: str
    fault: str
    duration_s: float = Field(gt=0)


def check_chaos(plant: PlantSpec, machine: str, fault: str, duration_s: float) -> None:
    """One-line FabError for an unknown machine or fault, or a duration <= 0."""
    machines = [m.id for m in plant.machines]
    if machine not in machines:
        raise FabError(
            f"--machine: unknown machine {machine!r} in plant {plant.plant} "
            f"(known: {', '.join(machines)})"
        )
    if fault not in FAULTS:
        raise FabError(f"--fault: unknown fault {fault!r} (known: {', '.join(FAULTS)})")
    if not duration_s > 0:
        raise FabError(f"--duration: must be > 0 seconds, got {duration_s}")


def _ms(t: float) -> int:
    return int(round(t * 1000))


def _iso(t: float | datetime) -> str:
    d = t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)
    return d.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass
class LiveStats:
    messages: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    readings: int = 0
    held: int = 0
    released_late: int = 0
    commands: int = 0
    faults: int = 0
    sim_start: float = 0.0
    sim_now: float = 0.0


class LiveSimulator:
    def __init__(
        self,
        plant: PlantSpec,
        seed: int,
        *,
        mqtt_url: str,
        speed: float = 1.0,
        rate_hz: float = 1.0,
        opcua_url: str | None = None,
        node_map: NodeMap | None = None,
        dsn: str | None = None,
        start: datetime | None = None,
        tick_s: float = 1.0,
        home: Path | None = None,
        security: SecurityMode = "SignAndEncrypt",
        machine_secret: str | None = None,
    ) -> None:
        if not speed > 0:
            raise FabError(f"--speed: must be > 0, got {speed}")
        if not rate_hz > 0:
            raise FabError(f"--rate: must be > 0, got {rate_hz}")
        self.plant = plant
        self.seed = seed
        self.speed = speed
        self.rate = rate_hz
        self.tick_s = tick_s
        self.mqtt_url = mqtt_url
        # set: every machine publishes and hears its commands on its own login (the broker's
        # ACL lets it write only its own topics); unset: one connection for all (no ACL)
        self.machine_secret = machine_secret
        self._machine_clients: dict[str, Any] = {}  # machine -> its aiomqtt.Client
        self.dsn = dsn
        self.start = (start or datetime.now(UTC)).timestamp()
        horizon = self.start + (400 if speed > 60 else 30) * 86400
        self.model = FabModel(plant, seed, self.start, auto_interlock=False, horizon=horizon)
        self.model.advance(self.start)
        self.model.drain(self.start)
        self.site = plant.site.id
        self.area = {m.id: m.area for m in plant.machines}
        self.opcua = (
            PlantOpcUaServer(opcua_url, node_map, home=home, security=security)
            if opcua_url and node_map
            else None
        )
        self.partitions: dict[str, float] = {}
        self.held: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        self.track_in: dict[tuple[str, int], float] = {}
        self.stats = LiveStats(sim_start=self.start, sim_now=self.start)
        self.run_id = "live-" + run_id_for(plant.plant, seed, self.start)
        self._clock0 = 0.0
        self._last = self.start
        self._latest: dict[str, dict[str, float]] = defaultdict(dict)
        self._migrated = False
        self._gem_stops: deque[str] = deque()
        self.gem = None  # a GemFleet (ingestion.gem.equipment) for `--secsgem`, set by the CLI

    # --- clock -------------------------------------------------------------------------------
    def sim_now(self) -> float:
        return self.start + self.speed * (time.monotonic() - self._clock0)

    def _catch_up(self) -> float:
        now = max(self.sim_now(), self.model.now)
        self.model.advance(now)
        return now

    # --- main loop ---------------------------------------------------------------------------
    async def run(
        self,
        stop: asyncio.Event | None = None,
        duration_s: float | None = None,
        ready: asyncio.Event | None = None,
    ) -> LiveStats:

        stop = stop or asyncio.Event()
        if self.opcua:
            await self.opcua.start(
                {m.id: set(self.model.types[m.type].sensors) for m in self.model.machines.values()}
            )
        try:
            async with contextlib.AsyncExitStack() as connections:
                client = await connections.enter_async_context(
                    self._connect(BrokerAddress.parse(self.mqtt_url), f"fab-sim-{self.plant.plant}")
                )
                await client.subscribe(CHAOS_TOPIC.format(site=self.site), qos=1)
                listeners = [asyncio.create_task(self._listen(client))]
                if self.machine_secret:
                    await self._connect_machines(connections, listeners)
                else:
                    await client.subscribe(f"fab/v1/{self.site}/+/+/command", qos=1)
                self._clock0 = time.monotonic()
                began = time.monotonic()
                last_truth = began
                if ready is not None:
                    ready.set()
                try:
                    while not stop.is_set():
                        await self._tick(client)
                        if self.dsn and time.monotonic() - last_truth > TRUTH_EVERY_S:
                            await asyncio.to_thread(self.write_truth)
                            last_truth = time.monotonic()
                        if duration_s is not None and time.monotonic() - began >= duration_s:
                            break
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), self.tick_s)
                    await self._tick(client)
                finally:
                    for listener in listeners:
                        listener.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await listener
                    self._machine_clients.clear()
        finally:
            if self.opcua:
                await self.opcua.stop()
        await asyncio.to_thread(self.write_truth)
        return self.stats

    def _connect(self, broker: BrokerAddress, name: str):
        import aiomqtt

        client = aiomqtt.Client(
            **broker.client_kwargs(),
            identifier=f"{name}-{id(self):x}",
            max_inflight_messages=200,
        )
        client.pending_calls_threshold = 100_000  # a tick publishes many at once
        return client

    async def _connect_machines(
        self, connections: contextlib.AsyncExitStack, listeners: list[asyncio.Task]
    ) -> None:
        """One login per machine (username = machine id), each hearing only its own commands."""
        assert self.machine_secret
        broker = BrokerAddress.parse(self.mqtt_url)
        for machine in self.model.machines:
            password = machine_password(self.machine_secret, machine)
            client = await connections.enter_async_context(
                self._connect(broker.as_user(machine, password), machine)
            )
            await client.subscribe(
                topic_for(self.site, self.area[machine], machine, "command"), qos=1
            )
            listeners.append(asyncio.create_task(self._listen(client)))
            self._machine_clients[machine] = client

    def write_truth(self) -> None:
        """Record the run's truth so far; a landing zone that cannot take it is warned about
        once and then left alone (the stream goes on)."""
        import psycopg

        from ingestion.landing.db import connect
        from ingestion.landing.migrate import migrate

        if not self.dsn:
            return
        try:
            with connect(self.dsn) as conn:
                if not self._migrated:
                    migrate(conn)
                    conn.commit()
                    self._migrated = True
                conn.autocommit = True
                write_truth(
                    conn,
                    self.model,
                    run_id=self.run_id,
                    start=self.start,
                    end=self.model.now,
                    mode="live",
                    rate_hz=self.rate,
                    summary={"messages": dict(self.stats.messages)},
                )
        except (psycopg.Error, FabError) as exc:
            log.warning(
                "simulator: truth not recorded in the landing zone: %s",
                str(exc).strip().splitlines()[0],
            )
            self.dsn = None

    async def _tick(self, client) -> None:
        now = self._catch_up()
        while self._gem_stops:
            self.stats.commands += 1
            self.model.stop(
                self._gem_stops.popleft(), "INTERLOCK", float(self.model.rng.uniform(1200, 2700))
            )
        a, self._last = self._last, now
        rows = self.model.drain(now)
        self.model.drain_sort()  # sort results have no MQTT channel: only backfill lands them
        messages = self._event_messages(rows)
        if self.gem:
            self.gem.events(rows)
        for m in self.model.machines.values():
            ts, values = machine_block(self.model, m, a, now, self.rate)
            if ts.size and self.gem:
                self.gem.samples(m.id, ts.tolist(), {k: v.tolist() for k, v in values.items()})
            if ts.size:
                messages += self._telemetry(m, ts, values)
                for metric, v in values.items():
                    self._latest[m.id][metric] = float(v[-1])
        await self._publish(client, messages, now)
        self.stats.sim_now = now
        if self.opcua:
            await self.opcua.update(self._opcua_values())

    async def _publish(self, client, messages: list[tuple[str, str, bytes]], now: float) -> None:
        out: list[tuple[str, str, bytes]] = []
        for machine, end in list(self.partitions.items()):
            if now >= end:  # partition healed: the held messages go out late, as they were
                del self.partitions[machine]
                released = self.held.pop(machine, [])
                out += [(machine, topic, payload) for topic, payload in released]
                self.stats.released_late += len(released)
        for machine, topic, payload in messages:
            if machine in self.partitions:
                self.held[machine].append((topic, payload))
                self.stats.held += 1
            else:
                out.append((machine, topic, payload))
        if out:
            own = self._machine_clients
            await asyncio.gather(*(own.get(m, client).publish(t, p, qos=1) for m, t, p in out))
        for _machine, topic, _payload in out:
            self.stats.messages[topic.rsplit("/", 1)[1]] += 1

    # --- payloads ----------------------------------------------------------------------------
    def _topic(self, machine: str, channel: str) -> str:
        return topic_for(self.site, self.area[machine], machine, channel)

    def _telemetry(self, m, ts, values) -> list[tuple[str, str, bytes]]:
        metrics = list(values)
        stamps = [_ms(t) for t in ts.tolist()]
        columns = {k: v.tolist() for k, v in values.items()}
        readings = [
            {"metric": k, "value": columns[k][i], "ts": stamp}
            for i, stamp in enumerate(stamps)
            for k in metrics
        ]
        self.stats.readings += len(readings)
        out = []
        topic = self._topic(m.id, "telemetry")
        for i in range(0, len(readings), READINGS_PER_MESSAGE):
            chunk = readings[i : i + READINGS_PER_MESSAGE]
            body = {"ts": chunk[-1]["ts"], "seq": m.next_seq(), "readings": chunk}
            out.append((m.id, topic, json.dumps(body, separators=(",", ":")).encode()))
        return out

    def _event_messages(self, rows: dict[str, list[tuple]]) -> list[tuple[str, str, bytes]]:
        out: list[tuple[str, str, bytes]] = []

        def add(machine: str, channel: str, body: dict) -> None:
            out.append(
                (
                    machine,
                    self._topic(machine, channel),
                    json.dumps(body, separators=(",", ":")).encode(),
                )
            )

        for ts, lot, step, _machine, _recipe, event, _w in rows.get("lot_move", []):
            if event == "track_in":
                self.track_in[(lot, step)] = ts
        recipe_of = {
            (r[1], r[2], r[0]): r[4] for r in rows.get("lot_move", []) if r[5] == "track_out"
        }
        measurements = defaultdict(list)
        for ts, machine, lot, wafer, _recipe, param, value in rows.get("process_measurement", []):
            measurements[(machine, lot, ts)].append(
                {"wafer_id": wafer, "parameter": param, "value": value}
            )
        for ts, machine, state, reason, seq in rows.get("machine_state", []):
            add(
                machine,
                "state",
                {"ts": _iso(ts), "seq": seq, "state": state, "reason_code": reason},
            )
        for ts, machine, code, severity, message, seq in rows.get("alarm", []):
            add(
                machine,
                "alarm",
                {
                    "ts": _iso(ts),
                    "seq": seq,
                    "alarm_code": code,
                    "severity": severity,
                    "message": message,
                },
            )
        for ts, machine, lot, step, good, scrap, seq in rows.get("production_count", []):
            body = {
                "ts": _iso(ts),
                "seq": seq,
                "lot_id": lot,
                "step_no": step,
                "recipe_id": recipe_of.get((lot, step, ts), ""),
                "good": good,
                "scrap": scrap,
                "measurements": measurements.get((machine, lot, ts), []),
            }
            track_in = self.track_in.pop((lot, step), None)
            if track_in is not None:
                body["track_in_ts"] = _iso(track_in)
            add(machine, "count", body)
        defects = defaultdict(list)
        for d in rows.get("defect", []):
            _ts, inspection, no, _wafer, x, y, size, dtype, sem, edx = d
            defects[inspection].append(
                {
                    "defect_no": no,
                    "x_mm": x,
                    "y_mm": y,
                    "size_um": size,
                    "defect_type": dtype,
                    "sem_image_ref": sem,
                    "edx_spectrum": json.loads(edx) if edx else None,
                }
            )
        for ts, inspection, machine, lot, wafer, step, _n in rows.get("inspection", []):
            m = self.model.machines[machine]
            add(
                machine,
                "inspection",
                {
                    "ts": _iso(ts),
                    "seq": m.next_seq(),
                    "inspection_id": inspection,
                    "lot_id": lot,
                    "wafer_id": wafer,
                    "step_no": step,
                    "defects": defects.get(inspection, []),
                },
            )
        return out

    def _opcua_values(self) -> dict[str, dict[str, object]]:
        out = {}
        for m in self.model.machines.values():
            state, reason = m.state or ("IDLE", "STARVED")
            values: dict[str, object] = {
                "state": state,
                "reason": reason,
                "part_count": m.part_count,
                "good_count": m.good_count,
                "scrap_count": m.scrap_count,
                "cycle_time_s": float(m.last_cycle_s),
            }
            values.update({f"sensor:{k}": v for k, v in self._latest[m.id].items()})
            out[m.id] = values
        return out

    # --- commands and chaos --------------------------------------------------------------------
    async def _listen(self, client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            try:
                if topic == CHAOS_TOPIC.format(site=self.site):
                    ack = self.apply_chaos(json.loads(message.payload))
                    await client.publish(
                        CHAOS_ACK_TOPIC.format(site=self.site), json.dumps(ack), qos=1
                    )
                else:
                    self.apply_command(topic, message.payload)
            except (ValueError, ValidationError, FabError) as exc:
                log.warning("simulator: ignored %s: %s", topic, str(exc).splitlines()[0])

    def gem_command(self, machine: str, command: str) -> None:
        """S2F41 from the GEM host (an interlock stop): like an MQTT stop with a rule id. Runs
        in the tool's thread, so it is queued and applied by the next tick."""
        self._gem_stops.append(machine)

    def apply_command(self, topic: str, payload: bytes) -> None:
        _site, _area, machine, _channel = parse_topic(topic)
        if machine not in self.model.machines:
            raise ValueError(f"unknown machine {machine!r}")
        command = CommandPayload.model_validate_json(payload)
        self._catch_up()
        self.stats.commands += 1
        if command.command == "stop" and command.rule_id:
            # a safety interlock: a technician clears it after 20-45 simulated minutes
            self.model.stop(machine, "INTERLOCK", float(self.model.rng.uniform(1200, 2700)))
        elif command.command == "stop":
            self.model.stop(machine, "OPERATOR_STOP")  # until `resume`
        else:
            self.model.resume(machine)

    def apply_chaos(self, body: dict) -> dict:
        req = ChaosRequest.model_validate(body)
        check_chaos(self.plant, req.machine, req.fault, req.duration_s)
        self._catch_up()
        fault = self.model.inject_fault(req.machine, req.fault, req.duration_s)
        if req.fault == "network_partition":
            self.partitions[req.machine] = fault.end
        self.stats.faults += 1
        return {
            "machine": req.machine,
            "fault": req.fault,
            "start": _iso(fault.start),
            "end": _iso(fault.end),
            "run_id": self.run_id,
        }


async def send_chaos(
    mqtt_url: str, site: str, machine: str, fault: str, duration_s: float, timeout_s: float = 10.0
) -> dict:
    """Publish a chaos request and wait for the live simulator's acknowledgement."""
    import aiomqtt

    body = {"machine": machine, "fault": fault, "duration_s": duration_s}
    async with aiomqtt.Client(**BrokerAddress.parse(mqtt_url).client_kwargs()) as client:
        await client.subscribe(CHAOS_ACK_TOPIC.format(site=site), qos=1)
        await client.publish(CHAOS_TOPIC.format(site=site), json.dumps(body), qos=1)
        try:
            async with asyncio.timeout(timeout_s):
                async for message in client.messages:
                    ack = json.loads(message.payload)
                    if ack.get("machine") == machine and ack.get("fault") == fault:
                        return ack
        except TimeoutError:
            raise FabError(
                f"chaos: no live simulator acknowledged within {timeout_s:.0f}s "
                f"(start one with `fab simulate --live`)"
            ) from None
    raise FabError("chaos: broker closed the connection")
