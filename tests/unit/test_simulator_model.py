"""The simulator's generation core: determinism, machine model, precursors, maps, chaos."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from ingestion.payloads import PAYLOAD_MODELS, parse_topic, validate_wafer_id
from ingestion.plant import load_plant
from ingestion.simulator import calendar as cal
from ingestion.simulator.backfill import _blocks
from ingestion.simulator.model import PRECURSOR_MAX_S, FabModel
from ingestion.simulator.sensors import machine_block
from ingestion.simulator.wafermaps import RADIUS_MM, SIGNATURES

ORIGIN = datetime(2026, 11, 2, 0, tzinfo=UTC).timestamp()
DAY = 86400.0


@pytest.fixture(scope="module")
def demo():
    return load_plant("demo")


@pytest.fixture(scope="module")
def month(demo):
    """30 simulated days of the demo plant (events only, no sensors)."""
    model = FabModel(demo, 42, ORIGIN, horizon=ORIGIN + 31 * DAY)
    model.advance(ORIGIN + 30 * DAY)
    return model, model.drain(ORIGIN + 30 * DAY)


def _run(plant, seed: int, hours: float = 6) -> tuple[dict, bytes]:
    model = FabModel(plant, seed, ORIGIN, horizon=ORIGIN + DAY)
    model.advance(ORIGIN + hours * 3600)
    rows = model.drain(ORIGIN + hours * 3600)
    sensors = b"".join(d for _, _, d in _blocks(model, ORIGIN, ORIGIN + hours * 3600, 0.2))
    return rows, sensors


def test_same_seed_same_stream_and_different_seeds_differ(demo):
    rows_a, sensors_a = _run(demo, 7)
    rows_b, sensors_b = _run(demo, 7)
    rows_c, sensors_c = _run(demo, 8)
    assert rows_a == rows_b
    assert sensors_a == sensors_b and len(sensors_a) > 100_000
    assert rows_a["machine_state"] != rows_c["machine_state"]
    assert sensors_a != sensors_c


def test_small_steps_give_the_same_events_as_one_big_step(demo):
    one = FabModel(demo, 3, ORIGIN, horizon=ORIGIN + DAY)
    one.advance(ORIGIN + 8 * 3600)
    many = FabModel(demo, 3, ORIGIN, horizon=ORIGIN + DAY)
    for k in range(1, 8 * 60 + 1):
        many.advance(ORIGIN + k * 60)
    assert one.drain(ORIGIN + 8 * 3600) == many.drain(ORIGIN + 8 * 3600)


def test_shift_calendar_in_berlin_time(demo):
    windows = cal.shift_windows(demo, ORIGIN, ORIGIN + DAY)
    a = next(w for w in windows if w.code == "A" and w.shift_date.isoformat() == "2026-11-02")
    # 06:00 CET is 05:00 UTC; 480 minutes long with three breaks (15 + 30 + 15 min)
    assert datetime.fromtimestamp(a.start, UTC).hour == 5
    assert a.end - a.start == 480 * 60
    assert sum(e - s for s, e in a.breaks) == 60 * 60


def test_machine_states_cover_the_model(month, demo):
    model, rows = month
    reasons = Counter(r[3] for r in rows["machine_state"])
    for code in (
        "RUN",
        "SMALL_STOP",
        "STARVED",
        "BLOCKED",
        "SETUP",
        "BREAK",
        "PM",
        "WEAR_OUT",
        "INTERLOCK",
    ):
        assert reasons[code] > 0, code
    known = {r.code: r.state for r in demo.state_reasons}
    assert all(known[r[3]] == r[2] for r in rows["machine_state"])
    # per machine, consecutive events differ and time increases
    for m in model.machines.values():
        assert all(b > a for a, b in zip(m.state_times, m.state_times[1:], strict=False))
        assert all(b != a for a, b in zip(m.state_codes, m.state_codes[1:], strict=False))


def test_wear_out_is_the_main_failure_mode_and_announces_itself(month):
    model, _ = month
    failures = model.truth["failure"]
    wear = [f for f in failures if f[1] == "WEAR_OUT"]
    assert len(wear) >= 0.8 * len(failures)
    # wear lives of 18-40 days: about one wear-out per machine-month, not several
    assert 0.5 * len(model.machines) <= len(wear) <= 2 * len(model.machines)
    assert all(f[2] < f[3] for f in wear)  # onset before failure
    assert max(f[3] - f[2] for f in wear) >= PRECURSOR_MAX_S  # a P-F interval beyond a week


def test_random_failures_come_without_warning(demo):
    # the demo's random failures are rare (thousands of hours apart): make them frequent here
    types = {
        k: t.model_copy(update={"mtbf_h": t.wear_life_h / 10})
        for k, t in demo.machine_types.items()
    }
    model = FabModel(
        demo.model_copy(update={"machine_types": types}), 42, ORIGIN, horizon=ORIGIN + 11 * DAY
    )
    model.advance(ORIGIN + 10 * DAY)
    rows = model.drain(ORIGIN + 10 * DAY)
    reasons = Counter(r[3] for r in rows["machine_state"])
    assert reasons["ELECTRICAL"] > 0 and reasons["VACUUM_LEAK"] > 0
    randoms = [f for f in model.truth["failure"] if f[1] != "WEAR_OUT"]
    assert randoms and all(f[2] == f[3] for f in randoms)  # onset is the failure itself


def test_vibration_rises_before_a_wear_out_failure(demo):
    model = FabModel(demo, 42, ORIGIN, horizon=ORIGIN + 31 * DAY)
    model.advance(ORIGIN + 30 * DAY)
    machine, _, onset, failed, _, _ = next(
        f
        for f in model.truth["failure"]
        if f[1] == "WEAR_OUT" and f[3] - f[2] > DAY and f[2] - 2 * DAY > ORIGIN
    )
    m = model.machines[machine]

    def running_mean(a: float, b: float) -> float:
        ts, values = machine_block(model, m, a, b, 0.05)
        times = np.asarray(m.state_times)
        idx = np.searchsorted(times, ts, side="right") - 1
        running = np.array([m.state_codes[i][0] == "RUNNING" for i in idx])
        return float(values["vibration"][running].mean())

    before = running_mean(onset - DAY, onset)
    last = running_mean(failed - 6 * 3600, failed)
    gain = model.types[m.type].sensors["vibration"].wear_gain
    assert last - before > 0.4 * gain


def test_temperature_excursion_crosses_the_interlock_limit(month):
    model, rows = month
    triggers = model.truth["interlock_trigger"]
    assert triggers and {t[0].split("-")[0] for t in triggers} == {"ETCH"}
    machine, ts, _, _, threshold, _ = triggers[0]
    m = model.machines[machine]
    times, values = machine_block(model, m, ts - 900, ts + 300, 1.0)
    temp = values["temperature"]
    assert temp[times < ts - 600].max() < threshold
    first_above = times[np.argmax(temp > threshold)]
    assert abs(first_above - ts) < 120
    stops = [r for r in rows["machine_state"] if r[1] == machine and r[3] == "INTERLOCK"]
    assert any(abs(r[0] - ts) < 1 for r in stops)
    assert any(abs(r[0] - ts) < 1 for r in rows["interlock_event"])


def test_lots_flow_with_valid_wafer_ids_and_measurements(month):
    model, rows = month
    moves = rows["lot_move"]
    assert {r[5] for r in moves} == {"track_in", "track_out"}
    lot = next(
        lot for lot in model.lots.values() if lot.status == "completed" and lot.release > ORIGIN
    )
    steps = sorted((r[2], r[5]) for r in moves if r[1] == lot.lot_id)
    assert [s for s, e in steps if e == "track_out"] == list(range(1, len(lot.route) + 1))
    assert {1 <= lot.priority <= 5 for lot in model.lots.values()} == {True}
    assert any(lot.hot for lot in model.lots.values())
    params = {r[5] for r in rows["process_measurement"]}
    assert params == {"critical_dimension_nm", "film_thickness_nm"}
    for r in rows["process_measurement"][:200]:
        validate_wafer_id(r[3])
    counts = rows["production_count"]
    good, scrap = sum(r[4] for r in counts), sum(r[5] for r in counts)
    assert scrap > 0 and good > 50 * scrap
    assert len(model.truth["spc_shift"]) >= 5


def test_wafer_maps_carry_every_signature(month, demo):
    model, rows = month
    signatures = Counter(t[4] for t in model.truth["wafer_map"])
    assert set(signatures) == set(SIGNATURES)
    types = {d.code for d in demo.defect_types}
    for d in rows["defect"][:5000]:
        assert d[4] ** 2 + d[5] ** 2 <= RADIUS_MM**2 + 1e-6
        assert d[6] > 0 and d[7] in types
    reviewed = [d for d in rows["defect"] if d[9]]
    assert reviewed and '"peaks_kev"' in reviewed[0][9] and reviewed[0][8].startswith("sem://")
    by_map = Counter(d[1] for d in rows["defect"])
    full = [t for t in model.truth["wafer_map"] if t[4] == "near-full"]
    none = [t for t in model.truth["wafer_map"] if t[4] == "none"]
    assert min(by_map[t[0]] for t in full) > max(by_map.get(t[0], 0) for t in none)


def test_chaos_faults_change_the_data(demo):
    model = FabModel(demo, 5, ORIGIN, horizon=ORIGIN + DAY)
    model.advance(ORIGIN + 10 * 3600)
    model.inject_fault("ETCH-01", "machine_down", 600)
    assert model.machines["ETCH-01"].state[0] == "DOWN"
    model.inject_fault("CMP-01", "sensor_spike", 300)
    start = model.now
    model.advance(start + 900)
    etch = model.machines["ETCH-01"]
    assert "stop" not in etch.blocks  # the fault ended on time
    m = model.machines["CMP-01"]
    ts, values = machine_block(model, m, start - 300, start + 600, 1.0)
    spike = (ts >= start) & (ts < start + 300)
    assert values["vibration"][spike].min() > values["vibration"][~spike].max()
    # an efficiency drop doubles the processing time of lots started during it
    slow = FabModel(demo, 5, ORIGIN, horizon=ORIGIN + DAY)
    fast = FabModel(demo, 5, ORIGIN, horizon=ORIGIN + DAY)
    slow.advance(ORIGIN + 3600)
    fast.advance(ORIGIN + 3600)
    slow.inject_fault("CMP-01", "efficiency_drop", 8 * 3600)
    slow.advance(ORIGIN + 9 * 3600)
    fast.advance(ORIGIN + 9 * 3600)
    out_slow = [r for r in slow.drain(ORIGIN + 9 * 3600)["production_count"] if r[1] == "CMP-01"]
    out_fast = [r for r in fast.drain(ORIGIN + 9 * 3600)["production_count"] if r[1] == "CMP-01"]
    assert len(out_slow) < 0.75 * len(out_fast)


def test_live_payloads_follow_the_contract(demo):
    from ingestion.simulator.live import LiveSimulator

    sim = LiveSimulator(
        demo, 11, mqtt_url="mqtt://127.0.0.1:1883", start=datetime.fromtimestamp(ORIGIN, UTC)
    )
    sim.model.advance(ORIGIN + 12 * 3600)
    messages = sim._event_messages(sim.model.drain(ORIGIN + 12 * 3600))
    m = sim.model.machines["ETCH-01"]
    ts, values = machine_block(sim.model, m, ORIGIN, ORIGIN + 3600, 1.0)
    messages += sim._telemetry(m, ts, values)
    channels = Counter()
    for _machine, topic, payload in messages:
        channel = parse_topic(topic)[3]
        PAYLOAD_MODELS[channel].model_validate_json(payload)
        channels[channel] += 1
        assert len(payload) < 256 * 1024
    assert {"state", "count", "inspection", "telemetry"} <= set(channels)


def test_readings_do_not_depend_on_how_time_is_cut(demo):
    """Live ticks of any length give the readings a backfill hour block gives."""
    model = FabModel(demo, 13, ORIGIN, horizon=ORIGIN + DAY)
    model.advance(ORIGIN + 3 * 3600)
    m = model.machines["ETCH-02"]
    a, b = ORIGIN + 1800, ORIGIN + 2 * 3600 + 900
    ts, whole = machine_block(model, m, a, b, 1.0)
    cuts = [a, a + 0.4, a + 7.3, ORIGIN + 3600, ORIGIN + 3600 + 61.7, b]
    pieces = [machine_block(model, m, x, y, 1.0) for x, y in zip(cuts, cuts[1:], strict=False)]
    assert np.array_equal(np.concatenate([p[0] for p in pieces]), ts)
    for metric in whole:
        assert np.array_equal(np.concatenate([p[1][metric] for p in pieces]), whole[metric])
