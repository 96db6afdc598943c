"""Backfill into a real PostgreSQL landing zone: truth agrees with landing; idempotent runs."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fabstack.errors import FabError
from ingestion.landing.db import storage_mode
from ingestion.simulator.backfill import run_backfill
from tests.conftest import SIMULATED_EVERY_DAY

END = datetime(2026, 11, 18, 0, tzinfo=UTC)
RATE = 0.05  # readings per second per metric: a day stays small


@pytest.fixture(scope="module")
def day_run(module_landing_dsn):
    summary = run_backfill(module_landing_dsn, "demo", 1, 42, END, sensor_rate_hz=RATE)
    return module_landing_dsn, summary


def _one(conn, query: str, *args):
    return conn.execute(query, args).fetchone()


def test_backfill_writes_every_table(day_run):
    dsn, summary = day_run
    with psycopg.connect(dsn) as conn:
        for table in SIMULATED_EVERY_DAY:
            n = _one(conn, f"SELECT count(*) FROM landing.{table}")[0]
            assert n == summary.rows[table] > 0, table
        # one alarm per DOWN event (failures are rare: a single day may have none)
        alarms = _one(conn, "SELECT count(*) FROM landing.alarm")[0]
        downs = _one(conn, "SELECT count(*) FROM landing.machine_state WHERE state = 'DOWN'")[0]
        assert alarms == summary.rows.get("alarm", 0) == downs
        lots = _one(conn, "SELECT count(*), count(*) FILTER (WHERE hot_lot) FROM landing.lot")
        assert lots[0] > 10
        wafers = _one(conn, "SELECT count(*) FROM landing.wafer")[0]
        assert wafers == 25 * lots[0]
        expected = 10 * 86400 * RATE * 4  # 10 machines x >= 3 metrics, most have 4-5
        assert summary.readings > expected * 0.9
        first, last = _one(conn, "SELECT min(ts), max(ts) FROM landing.sensor_reading")
        assert first >= END - timedelta(days=1) and last < END
        run = _one(
            conn, "SELECT seed, mode, end_ts FROM truth.run WHERE run_id = %s", summary.run_id
        )
        assert run == (42, "backfill", END)


def test_truth_state_intervals_match_landing_events(day_run):
    dsn, summary = day_run
    with psycopg.connect(dsn) as conn:
        events = conn.execute(
            "SELECT machine_id, ts, state, reason_code FROM landing.machine_state ORDER BY 1, 2"
        ).fetchall()
        truth = set(
            conn.execute(
                "SELECT machine_id, start_ts, end_ts, state, reason_code FROM truth.state_interval "
                "WHERE run_id = %s",
                (summary.run_id,),
            ).fetchall()
        )
    by_machine = defaultdict(list)
    for m, ts, state, reason in events:
        by_machine[m].append((ts, state, reason))
    intervals = set()
    for m, rows in by_machine.items():
        assert rows[0][0] == END - timedelta(days=1)  # the history opens with each state
        for (ts, state, reason), nxt in zip(rows, [r[0] for r in rows[1:]] + [END], strict=True):
            intervals.add((m, ts, nxt, state, reason))
    assert intervals == truth
    run_share = sum((b - a).total_seconds() for _, a, b, s, _ in truth if s == "RUNNING")
    assert 0.3 < run_share / (10 * 86400) < 0.9


def test_truth_counts_signatures_and_events_match_landing(day_run):
    dsn, summary = day_run
    run = summary.run_id
    with psycopg.connect(dsn) as conn:
        landing_counts = dict(
            (
                (m, (g, s))
                for m, g, s in conn.execute(
                    "SELECT machine_id, sum(good), sum(scrap) "
                    "FROM landing.production_count GROUP BY 1"
                )
            )
        )
        truth_counts = dict(
            (
                (m, (g, s))
                for m, g, s in conn.execute(
                    "SELECT machine_id, sum(good), sum(scrap) FROM truth.shift_count "
                    "WHERE run_id = %s "
                    "GROUP BY 1 HAVING sum(good + scrap) > 0",
                    (run,),
                )
            )
        )
        assert landing_counts == truth_counts
        maps = conn.execute(
            "SELECT t.signature, t.defect_count, i.defect_count, "
            "(SELECT count(*) FROM landing.defect d WHERE d.inspection_id = i.inspection_id) "
            "FROM truth.wafer_map t JOIN landing.inspection i USING (inspection_id) "
            "WHERE t.run_id = %s",
            (run,),
        ).fetchall()
        n_inspections = _one(conn, "SELECT count(*) FROM landing.inspection")[0]
        assert len(maps) == n_inspections > 0
        assert all(a == b == c for _, a, b, c in maps)
        assert len({m[0] for m in maps}) >= 4  # a day shows a mix of signatures
        failures = conn.execute(
            "SELECT machine_id, failure_ts, reason_code FROM truth.failure WHERE run_id = %s",
            (run,),
        ).fetchall()
        for machine, ts, reason in failures:
            row = _one(
                conn,
                "SELECT state, reason_code FROM landing.machine_state "
                "WHERE machine_id = %s AND ts = %s",
                machine,
                ts,
            )
            assert row == ("DOWN", reason)
        triggers = _one(
            conn, "SELECT count(*) FROM truth.interlock_trigger WHERE run_id = %s", run
        )[0]
        events = _one(conn, "SELECT count(*) FROM landing.interlock_event")[0]
        assert triggers == events
        oee = conn.execute(
            "SELECT availability, quality FROM truth.machine_shift_oee "
            "WHERE run_id = %s AND complete AND good + scrap > 0",
            (run,),
        ).fetchall()
        assert oee and all(0 < a <= 1 and 0.8 < q <= 1 for a, q in oee)
        # performance over the whole day (per shift it is lumpy: a lot counts at track-out)
        perf = conn.execute(
            "SELECT machine_id, sum(performance * run_s) / sum(run_s) FROM truth.machine_shift_oee "
            "WHERE run_id = %s AND run_s > 0 AND performance IS NOT NULL GROUP BY 1",
            (run,),
        ).fetchall()
        assert perf and all(0.5 < p < 1.1 for _, p in perf), perf


def test_rerun_is_idempotent_and_a_later_window_extends_the_run(day_run):
    dsn, summary = day_run

    def counts(conn):
        return {
            t: _one(conn, f"SELECT count(*) FROM landing.{t}")[0]
            for t in ("machine_state", "production_count", "sensor_reading", "defect")
        }

    with psycopg.connect(dsn) as conn:
        before = counts(conn)
    again = run_backfill(dsn, "demo", 1, 42, END, sensor_rate_hz=RATE)
    with psycopg.connect(dsn) as conn:
        assert counts(conn) == before
    assert sum(again.rows.values()) == 0
    later = run_backfill(dsn, "demo", 1, 42, END + timedelta(hours=3), sensor_rate_hz=RATE)
    assert later.run_id == summary.run_id
    assert later.written_from == END
    with psycopg.connect(dsn) as conn:
        after = counts(conn)
        assert after["sensor_reading"] > before["sensor_reading"]
        # extending a run never rewrites what exists: no duplicate instants per machine
        dup = _one(
            conn,
            "SELECT count(*) FROM (SELECT machine_id, ts FROM landing.machine_state "
            "GROUP BY 1, 2 HAVING count(*) > 1) d",
        )[0]
        assert dup == 0
        end_ts = _one(conn, "SELECT end_ts FROM truth.run WHERE run_id = %s", summary.run_id)[0]
        assert end_ts == END + timedelta(hours=3)
    with pytest.raises(FabError, match="--seed"):
        run_backfill(dsn, "demo", 1, 43, END, sensor_rate_hz=RATE)


def test_extension_equals_one_long_run(landing_dsn):
    """Backfilling 6 h then 3 h more gives the same events as 9 h at once. On TimescaleDB the
    first 6 h are compressed in between, so the extension lands next to compressed rows."""
    end = datetime(2026, 11, 10, 9, tzinfo=UTC)
    run_backfill(landing_dsn, "demo", 0.25, 9, end - timedelta(hours=3), sensor_rate_hz=RATE)
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        if storage_mode(conn) == "timescale":
            compressed = conn.execute(
                "SELECT count(compress_chunk(c, if_not_compressed => true)) "
                "FROM timescaledb_information.hypertables h, "
                "show_chunks(format('%I.%I', h.hypertable_schema, h.hypertable_name)) c "
                "WHERE h.hypertable_schema = 'landing'"
            ).fetchone()[0]
            assert compressed >= 1
    run_backfill(landing_dsn, "demo", 0.25, 9, end, sensor_rate_hz=RATE)
    query = "SELECT ts, machine_id, state, reason_code FROM landing.machine_state ORDER BY 2, 1"
    with psycopg.connect(landing_dsn) as conn:
        stepwise = conn.execute(query).fetchall()
        readings = _one(conn, "SELECT count(*), sum(value::numeric) FROM landing.sensor_reading")
    from tests.conftest import drop_database, migrated_and_seeded

    fresh = migrated_and_seeded()
    try:
        run_backfill(fresh, "demo", 0.375, 9, end, sensor_rate_hz=RATE)
        with psycopg.connect(fresh) as conn:
            assert conn.execute(query).fetchall() == stepwise
            again = _one(conn, "SELECT count(*), sum(value::numeric) FROM landing.sensor_reading")
            assert again == readings
    finally:
        drop_database(fresh)


def test_direct_copy_path_lands_what_the_attach_path_lands(landing_dsn, monkeypatch):
    """TimescaleDB's path (one COPY per empty day straight into the table) runs here on the
    partitioned table too, and lands exactly what the native load-and-attach path lands."""
    from ingestion.simulator import backfill
    from tests.conftest import drop_database, migrated_and_seeded

    end = datetime(2026, 11, 12, 6, tzinfo=UTC)
    query = "SELECT count(*), sum(value::numeric), min(ts), max(ts) FROM landing.sensor_reading"
    fresh = migrated_and_seeded()
    try:
        run_backfill(fresh, "demo", 0.5, 5, end, sensor_rate_hz=RATE)
        with psycopg.connect(fresh) as conn:
            attached = _one(conn, query)
    finally:
        drop_database(fresh)
    taken: list[str] = []

    def always_copy(mode, day_empty):
        taken.append("copy" if day_empty else "staged")
        return taken[-1]

    monkeypatch.setattr(backfill, "day_strategy", always_copy)
    run_backfill(landing_dsn, "demo", 0.5, 5, end, sensor_rate_hz=RATE)
    with psycopg.connect(landing_dsn) as conn:
        copied = _one(conn, query)
    assert taken == ["copy", "copy"]  # the window spans two UTC days, both empty
    assert copied == attached and copied[0] > 0
