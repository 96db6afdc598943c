"""End to end: simulator backfill -> materialize the warehouse for a day -> facts agree with the
simulator's ground truth (truth schema) exactly; re-materializing changes nothing; `fab trace`
shows a wafer's full route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from fabstack.calendar import day_window
from fabstack.errors import FabError
from tests.conftest import create_database, drop_database
from warehouse.build import FACTS

DAY = date(2025, 6, 11)  # Europe/Berlin day: 2025-06-10 22:00 .. 2025-06-11 22:00 UTC
END = datetime(2025, 6, 12, tzinfo=UTC)
TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def backfilled() -> Iterator[str]:
    from ingestion.landing.migrate import migrate
    from ingestion.simulator.backfill import run_backfill
    from tests.conftest import pause_retention

    dsn = create_database()
    with psycopg.connect(dsn) as conn:  # END is more than 90 days back: no retention run
        migrate(conn)
        pause_retention(conn)
        conn.commit()
    run_backfill(dsn, "demo", 2, 42, END, sensor_rate_hz=0.05)
    yield dsn
    drop_database(dsn)


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory) -> Path:
    return Path(tmp_path_factory.mktemp("fab_home"))


@pytest.fixture(scope="module")
def materialized(backfilled: str, warehouse_home: Path):
    """Materialize the warehouse domain for DAY once; yields a function that re-runs it."""
    from assets.resources import LandingResource
    from fabstack.settings import get_settings
    from orchestration.location import build_definitions
    from orchestration.run import materialize_days

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAB_HOME", str(warehouse_home))
        mp.setenv("FAB_PG_DSN", backfilled)
        get_settings.cache_clear()
        defs = build_definitions(["warehouse"])
        resources = {"landing": LandingResource(dsn=backfilled)}

        def run(refresh_dimensions: bool = True) -> None:
            materialize_days(
                [DAY], defs=defs, resources=resources, refresh_dimensions=refresh_dimensions
            )

        run()
        yield run
    get_settings.cache_clear()


def _warehouse_rows(sql: str, params: dict | None = None) -> list[tuple]:
    from fabstack.settings import load_settings
    from warehouse.client import open_warehouse

    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params or {}).rows()


def _truth(dsn: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def test_facts_agree_with_ground_truth(backfilled: str, materialized) -> None:
    start, end = day_window(DAY, TZ)
    # 1. state time per machine, shift and loss category, for the shifts inside the day
    mine = _warehouse_rows(
        "SELECT machine_id, shift_code, loss_category, sum(duration_s) FROM fab.fact_machine_state"
        " WHERE day = {day:Date} AND shift_date = {day:Date} AND shift_code IN ('A', 'B')"
        " GROUP BY ALL ORDER BY ALL",
        {"day": DAY},
    )
    truth = _truth(
        backfilled,
        "SELECT machine_id, shift_code, loss_category, seconds::float8"
        " FROM truth.machine_shift_time WHERE shift_date = %s AND shift_code IN ('A', 'B')"
        " ORDER BY 1, 2, 3",
        (DAY,),
    )
    assert len(mine) == len(truth) > 20
    for (m, s, c, secs), (tm, ts_, tc, tsecs) in zip(mine, truth, strict=True):
        assert (m, s, c) == (tm, ts_, tc)
        assert secs == pytest.approx(tsecs, abs=1e-6)
    # 2. the whole day per machine and state: truth intervals clipped to the day window
    mine = dict(
        ((m, st), v)
        for m, st, v in _warehouse_rows(
            "SELECT machine_id, state, sum(duration_s) FROM fab.fact_machine_state"
            " WHERE day = {day:Date} GROUP BY ALL",
            {"day": DAY},
        )
    )
    truth = dict(
        ((m, st), v)
        for m, st, v in _truth(
            backfilled,
            "SELECT machine_id, state,"
            " sum(extract(epoch FROM least(end_ts, %s) - greatest(start_ts, %s)))::float8"
            " FROM truth.state_interval WHERE start_ts < %s AND end_ts > %s GROUP BY 1, 2",
            (end, start, end, start),
        )
    )
    assert mine.keys() == truth.keys()
    for key, seconds in truth.items():
        assert mine[key] == pytest.approx(seconds, abs=1e-6), key
    # 3. good / scrap / lot steps per machine and shift
    mine = _warehouse_rows(
        "SELECT machine_id, shift_code, sum(good), sum(scrap), sum(events)"
        " FROM fab.fact_production_hourly WHERE day = {day:Date} AND shift_date = {day:Date}"
        " AND shift_code IN ('A', 'B') GROUP BY ALL ORDER BY ALL",
        {"day": DAY},
    )
    truth = _truth(
        backfilled,
        "SELECT machine_id, shift_code, good, scrap, lot_steps FROM truth.shift_count"
        " WHERE shift_date = %s AND shift_code IN ('A', 'B') AND lot_steps > 0 ORDER BY 1, 2",
        (DAY,),
    )
    assert [tuple(int(v) if isinstance(v, int) else v for v in r) for r in mine] == truth
    # 4. inspections and defects of the day: every true wafer map, every defect
    ((n_maps, n_defects),) = _truth(
        backfilled,
        "SELECT count(*), coalesce(sum(defect_count), 0) FROM truth.wafer_map"
        " WHERE ts >= %s AND ts < %s",
        (start, end),
    )
    ((inspections, defects),) = _warehouse_rows(
        "SELECT count(), sum(defect_count) FROM fab.fact_inspection WHERE day = {day:Date}",
        {"day": DAY},
    )
    assert (inspections, defects) == (n_maps, n_defects) and n_maps > 0
    ((defect_rows,),) = _warehouse_rows(
        "SELECT count() FROM fab.fact_defect WHERE day = {day:Date}", {"day": DAY}
    )
    assert defect_rows == n_defects


def test_rematerializing_changes_nothing(materialized) -> None:
    def snapshot() -> dict[str, list[tuple]]:
        return {
            t: sorted(
                map(
                    repr,
                    _warehouse_rows(
                        f"SELECT * FROM fab.{t} WHERE day = {{day:Date}}", {"day": DAY}
                    ),
                )
            )
            for t in FACTS
        }

    before = snapshot()
    assert all(
        before[t] for t in ("fact_machine_state", "fact_sensor_minute", "fact_wafer_history")
    )
    materialized(refresh_dimensions=False)
    after = snapshot()
    for table in FACTS:
        assert after[table] == before[table], table


def test_fab_trace_shows_a_full_route(backfilled: str, materialized) -> None:
    from typer.testing import CliRunner

    from fabcli.main import app

    start, end = day_window(DAY, TZ)
    # a lot that went through its whole route (6 steps) inside the day
    ((lot_id,),) = _truth(
        backfilled,
        "SELECT lot_id FROM landing.lot_move GROUP BY lot_id"
        " HAVING min(ts) >= %s AND max(ts) < %s"
        " AND count(DISTINCT step_no) FILTER (WHERE event = 'track_out') = 6"
        " ORDER BY lot_id LIMIT 1",
        (start, end),
    )
    ((wafer_id,),) = _truth(
        backfilled,
        "SELECT wafer_id FROM landing.wafer WHERE lot_id = %s ORDER BY slot LIMIT 1",
        (lot_id,),
    )
    tools = [
        r[0]
        for r in _truth(
            backfilled,
            "SELECT machine_id FROM landing.lot_move WHERE lot_id = %s AND event = 'track_out'"
            " ORDER BY step_no",
            (lot_id,),
        )
    ]
    result = CliRunner().invoke(app, ["trace", wafer_id], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert wafer_id in result.output and "route: 6 steps" in result.output
    lines = result.output.splitlines()
    positions = [next(i for i, line in enumerate(lines) if tool in line) for tool in tools]
    assert positions == sorted(positions)  # steps in route order
    assert "temperature" in result.output  # the tool's sensor summary during the step

    bad = CliRunner().invoke(app, ["trace", "NO-SUCH-WAFER"])
    assert bad.exit_code != 0


def test_fab_warehouse_status_lists_tables_partitions_rows(materialized) -> None:
    from typer.testing import CliRunner

    from fabcli.main import app

    result = CliRunner().invoke(
        app, ["warehouse", "status", "--table", "fact_machine_state"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for table in FACTS:
        assert table in result.output
    assert "__stage" not in result.output
    assert DAY.isoformat() in result.output  # the partition
    bad = CliRunner().invoke(app, ["warehouse", "status", "--table", "nope"])
    assert isinstance(bad.exception, FabError) and "'nope'" in str(bad.exception)


@pytest.mark.slow
def test_the_whole_code_location_materializes_a_simulated_day(
    backfilled: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every domain in orchestration.definitions.DOMAINS (dbt, data-quality gate, ...) for DAY."""
    from fabstack.settings import get_settings

    monkeypatch.setenv("FAB_HOME", str(tmp_path / "fab_home"))
    monkeypatch.setenv("FAB_PG_DSN", backfilled)
    get_settings.cache_clear()
    try:
        from assets.resources import LandingResource
        from orchestration.definitions import DOMAINS
        from orchestration.location import build_definitions
        from orchestration.run import materialize_days

        defs = build_definitions(DOMAINS)
        results = materialize_days(
            [DAY], defs=defs, resources={"landing": LandingResource(dsn=backfilled)}
        )
        assert results[0].success
        ((seconds,),) = _warehouse_rows(
            "SELECT sum(duration_s) FROM fab.fact_machine_state WHERE day = {day:Date}",
            {"day": DAY},
        )
        assert seconds == pytest.approx(10 * 86400, abs=1e-6)  # demo plant, a 24-hour day
    finally:
        get_settings.cache_clear()
