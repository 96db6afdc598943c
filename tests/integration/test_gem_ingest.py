"""`fab ingest secsgem`: the real GEM host against simulated GEM equipment over TCP, landing in
a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ingestion.gem.equipment import SimulatedTool
from ingestion.gem.mapping import ToolMap
from ingestion.plant import GemSvidSpec, GemToolSpec, default_gem, load_plant
from ingestion.stream.config import load_interlocks
from tests.conftest import free_port, wait_for
from tests.integration.gem_support import CuttableLink, HostThread

PLANT = load_plant("demo")


def tool_spec(machine: str, port: int, **changes) -> GemToolSpec:
    spec = next(t for t in default_gem(PLANT, 1).tools if t.machine == machine)
    return spec.model_copy(update={"port": port, **changes})


def count(dsn: str, sql: str, *args) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, args).fetchone()[0]


def readings(dsn: str, machine: str) -> int:
    return count(dsn, "SELECT count(*) FROM landing.sensor_reading WHERE machine_id = %s", machine)


def feed(tool: SimulatedTool, start: datetime, n: int, value: float = 1.0) -> None:
    for i in range(n):
        values = {s.metric: value for s in tool.spec.svids.values()}
        tool.sample(start + timedelta(seconds=i), values)


@pytest.fixture
def started():
    tools: list[SimulatedTool] = []

    def start(spec: GemToolSpec, port: int | None = None) -> SimulatedTool:
        tool = SimulatedTool(spec, port=port)
        tool.start()
        tools.append(tool)
        return tool

    yield start
    for tool in tools:
        tool.stop()


def test_handshake_trace_events_and_alarms(landing_dsn: str, tmp_path: Path, started) -> None:
    specs = [tool_spec(m, free_port()) for m in ("ETCH-01", "DEP-01")]
    tools = [started(s) for s in specs]
    with HostThread(specs, landing_dsn, tmp_path / "spool") as host:
        wait_for(
            lambda: all(link.ready.is_set() for link in host.links.values()),
            20,
            what="GEM set-up on both tools",
        )
        etch, dep = tools
        # the set-up reached the tools: reports linked and enabled, alarms enabled, trace on
        assert etch.trace_id == 1 and etch.trace_svids == list(specs[0].svids)
        assert all(link.enabled for link in etch.registered_collection_events.values())
        assert set(etch.registered_collection_events) == set(specs[0].ceids)
        assert all(alarm.enabled for alarm in etch.alarms.values())
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        feed(etch, start, 5, 175.0)
        feed(dep, start, 5, 400.0)
        etch.state_changed(start, "DOWN", "VACUUM_LEAK")
        etch.alarm(start + timedelta(seconds=1), next(iter(specs[0].alarms)))
        n_etch, n_dep = 5 * len(specs[0].svids), 5 * len(specs[1].svids)
        landed = lambda: (readings(landing_dsn, "ETCH-01"), readings(landing_dsn, "DEP-01"))  # noqa: E731
        wait_for(lambda: landed() == (n_etch, n_dep), 20, what="trace data landed")
        wait_for(
            lambda: count(landing_dsn, "SELECT count(*) FROM landing.alarm") == 1,
            10,
            what="alarm landed",
        )
        with psycopg.connect(landing_dsn) as conn:
            state = conn.execute(
                "SELECT ts, state, reason_code FROM landing.machine_state"
            ).fetchall()
            alarm = conn.execute("SELECT machine_id, alarm_code, seq FROM landing.alarm").fetchone()
            value = conn.execute(
                "SELECT value FROM landing.sensor_reading WHERE machine_id = 'ETCH-01' "
                "AND metric = 'temperature' AND ts = %s",
                (start,),
            ).fetchone()
        assert state == [(start, "DOWN", "VACUUM_LEAK")]
        assert alarm == ("ETCH-01", specs[0].alarms[next(iter(specs[0].alarms))].code, 2)
        assert value == (175.0,)
        host.write_status()
        with psycopg.connect(landing_dsn) as conn:
            status = dict(
                conn.execute(
                    "SELECT ingestor, link_state FROM landing.ingest_status "
                    "WHERE source = 'secsgem' AND link_state IS NOT NULL"
                ).fetchall()
            )
        assert status == {"secsgem:ETCH-01": "communicating", "secsgem:DEP-01": "communicating"}


def test_polling_with_s1f3(landing_dsn: str, tmp_path: Path, started) -> None:
    spec = tool_spec("CMP-01", free_port(), collection="poll", rate_hz=10)
    tool = started(spec)
    feed(tool, datetime.now(UTC), 1, 45.0)  # the SVs' current values
    with HostThread([spec], landing_dsn, tmp_path / "spool"):
        wait_for(
            lambda: readings(landing_dsn, "CMP-01") >= 3 * len(spec.svids),
            20,
            what="three polls landed",
        )
    assert tool.trace_id is None  # polled, not traced
    with psycopg.connect(landing_dsn) as conn:
        values = {v for (v,) in conn.execute("SELECT DISTINCT value FROM landing.sensor_reading")}
    assert values == {45.0}


def test_interlock_trip_sends_s2f41_and_records_the_ack(
    landing_dsn: str, tmp_path: Path, started
) -> None:
    spec = tool_spec("ETCH-01", free_port())
    tool = started(spec)
    lots = {"ETCH-01": "LOTGEM0001"}
    with HostThread([spec], landing_dsn, tmp_path / "spool", load_interlocks(), lots) as host:
        wait_for(lambda: host.links["ETCH-01"].ready.is_set(), 20, what="GEM set-up")
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
        feed(tool, start, 2, 175.0)
        feed(tool, start + timedelta(seconds=2), 1, 195.0)  # over the 188 degC rule
        wait_for(lambda: tool.commands == ["STOP"], 20, what="S2F41 STOP at the tool")
        wait_for(
            lambda: count(landing_dsn, "SELECT count(*) FROM landing.quarantine_log"),
            20,
            what="quarantine entry",
        )
        with psycopg.connect(landing_dsn) as conn:
            action = conn.execute("SELECT action FROM landing.interlock_event").fetchone()[0]
            reason = conn.execute("SELECT lot_id, reason FROM landing.quarantine_log").fetchone()
    assert "S2F41 STOP: HCACK 4" in action
    assert reason[0] == "LOTGEM0001" and "ETCH_CHAMBER_OVERTEMP" in reason[1]
    assert "S2F41 STOP: HCACK 4 (will finish later)" in reason[1]


def test_bad_gem_input_is_dead_lettered_and_ingest_goes_on(
    landing_dsn: str, tmp_path: Path, started
) -> None:
    spec = tool_spec("DEP-01", free_port())
    first_svid = next(iter(spec.svids))
    limited = dict(spec.svids)
    limited[first_svid] = GemSvidSpec(metric=spec.svids[first_svid].metric, min=0, max=1000)
    spec = spec.model_copy(update={"svids": limited})
    tool = started(spec)
    from secsgem.secs.variables import U4, Array

    with HostThread([spec], landing_dsn, tmp_path / "spool") as host:
        wait_for(lambda: host.links["DEP-01"].ready.is_set(), 20, what="GEM set-up")
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        stamp = now.isoformat()
        n = len(spec.svids)
        tool.send_raw(6, 11, {"DATAID": 1, "CEID": 9999, "RPT": []})
        tool.send_raw(6, 11, {"DATAID": 2, "CEID": 3001, "RPT": [{"RPTID": 77, "V": ["x"]}]})
        tool.send_raw(
            6,
            1,
            {"TRID": 1, "SMPLN": 1, "STIME": stamp, "SV": [Array(U4, [1, 2])] + [1.0] * (n - 1)},
        )
        later = (now + timedelta(seconds=1)).isoformat()
        tool.send_raw(6, 1, {"TRID": 1, "SMPLN": 2, "STIME": later, "SV": [5000.0] * n})
        feed(tool, now + timedelta(seconds=2), 1, 400.0)  # a good sample after the bad ones
        # a bad value sets aside that value only; the sample's other SVs land
        wait_for(
            lambda: readings(landing_dsn, "DEP-01") == 2 * (n - 1) + n, 20, what="the good values"
        )
        wait_for(
            lambda: count(landing_dsn, "SELECT count(*) FROM landing.dead_letter") >= 4,
            20,
            what="four dead letters",
        )
        with psycopg.connect(landing_dsn) as conn:
            dead = conn.execute(
                "SELECT topic, error FROM landing.dead_letter ORDER BY id"
            ).fetchall()
    kinds = {error.split(":", 1)[0]: topic for topic, error in dead}
    assert kinds["unknown_ceid"] == "DEP-01/S6F11"
    assert kinds["undefined_report"] == "DEP-01/S6F11"
    assert (
        kinds["wrong_type"] == "DEP-01/S6F1"
        and "got a list"
        in dict((t, e) for t, e in dead if e.startswith("wrong_type"))["DEP-01/S6F1"]
    )
    assert kinds["out_of_range"] == "DEP-01/S6F1"


def test_unknown_svid_is_a_dead_letter_reason() -> None:
    spec = tool_spec("DEP-01", 1)
    decoded = ToolMap(spec).poll([4242], [1.0], datetime.now(UTC))
    assert decoded.errors == ["unknown_svid: S1F4 SV[0]: SVID 4242 is not in the map"]
    assert not decoded.rows


def test_link_cut_and_tool_restart_lose_and_duplicate_nothing(
    landing_dsn: str, tmp_path: Path, started
) -> None:
    tool_port, link_port = free_port(), free_port()
    spec = tool_spec("LITHO-01", link_port)
    tool = started(spec, port=tool_port)
    link = CuttableLink(link_port, tool_port)
    n = len(spec.svids)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    try:
        with HostThread([spec], landing_dsn, tmp_path / "spool") as host:
            gem = host.links["LITHO-01"]
            wait_for(gem.ready.is_set, 20, what="GEM set-up")
            feed(tool, start, 10)
            wait_for(lambda: readings(landing_dsn, "LITHO-01") == 10 * n, 20, what="before cut")
            link.cut()
            wait_for(lambda: gem.status.state == "down", 20, what="host sees the cut")
            feed(tool, start + timedelta(seconds=10), 20)  # the tool goes on sampling
            assert readings(landing_dsn, "LITHO-01") == 10 * n
            link.heal()
            wait_for(
                lambda: readings(landing_dsn, "LITHO-01") == 30 * n,
                40,
                what="spooled samples after the cut",
            )
            assert gem.status.connections >= 2
            # tool restart: a new equipment process on the same port
            tool.stop()
            wait_for(lambda: gem.status.state == "down", 20, what="host sees the restart")
            tool = started(spec, port=tool_port)
            wait_for(gem.ready.is_set, 40, what="set-up after restart")
            feed(tool, start + timedelta(seconds=30), 5)
            wait_for(lambda: readings(landing_dsn, "LITHO-01") == 35 * n, 30, what="after restart")
    finally:
        link.close()
    with psycopg.connect(landing_dsn) as conn:
        distinct = conn.execute(
            "SELECT count(DISTINCT ts) FROM landing.sensor_reading WHERE machine_id = 'LITHO-01'"
        ).fetchone()[0]
    assert distinct == 35  # every sample once: none lost, none twice
