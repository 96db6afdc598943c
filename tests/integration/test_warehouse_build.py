"""Facts built from a hand-written landing dataset agree exactly with what was landed (chDB)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from tests.integration.warehouse_dataset import (
    DAY,
    EXPECTED_SHIFT_SECONDS,
    EXPECTED_STATE_SECONDS,
    LOT,
    NEXT_DAY,
    TZ,
    WAFERS,
    utc,
    write_dataset,
)
from warehouse.build import FACTS, build_day, build_dims, ensure_schema
from warehouse.client import ChdbWarehouse


@pytest.fixture(scope="module")
def built(module_landing_dsn: str, tmp_path_factory) -> Iterator[tuple[ChdbWarehouse, str]]:
    write_dataset(module_landing_dsn)
    wh = ChdbWarehouse(Path(tmp_path_factory.mktemp("wh")) / "warehouse")
    ensure_schema(wh)
    build_dims(wh, module_landing_dsn, TZ)
    build_day(wh, DAY, module_landing_dsn, TZ)
    yield wh, module_landing_dsn
    wh.close()


def _snapshot(wh: ChdbWarehouse, day) -> dict[str, pl.DataFrame]:
    out = {}
    for table in FACTS:
        frame = wh.query(f"SELECT * FROM fab.{table} WHERE day = {{day:Date}}", {"day": day})
        out[table] = frame.sort(frame.columns) if frame.height else frame
    return out


def _assert_day_unchanged(wh, before: dict) -> None:
    after = _snapshot(wh, DAY)
    for table in FACTS:
        assert after[table].equals(before[table]), table


def test_state_durations_exact_per_day_and_shift(built) -> None:
    wh, _ = built
    per_state = wh.query(
        "SELECT machine_id, state, sum(duration_s) AS s FROM fab.fact_machine_state "
        "WHERE day = {day:Date} GROUP BY machine_id, state",
        {"day": DAY},
    )
    got = {(r["machine_id"], r["state"]): r["s"] for r in per_state.iter_rows(named=True)}
    assert got == EXPECTED_STATE_SECONDS
    per_shift = wh.query(
        "SELECT machine_id, shift_date, shift_code, state, sum(duration_s) AS s "
        "FROM fab.fact_machine_state WHERE day = {day:Date} GROUP BY ALL",
        {"day": DAY},
    )
    got = {
        (r["machine_id"], r["shift_date"], r["shift_code"], r["state"]): r["s"]
        for r in per_shift.iter_rows(named=True)
    }
    assert got == EXPECTED_SHIFT_SECONDS
    # the spring-forward day has 23 hours for every machine that reported a state
    assert (
        sum(EXPECTED_STATE_SECONDS[k] for k in EXPECTED_STATE_SECONDS if k[0] == "DEP-01")
        == 23 * 3600
    )


def test_state_loss_categories_come_from_reasons(built) -> None:
    wh, _ = built
    rows = wh.query(
        "SELECT DISTINCT reason_code, loss_category FROM fab.fact_machine_state "
        "WHERE day = {day:Date}",
        {"day": DAY},
    )
    assert dict(rows.iter_rows()) == {
        "RUN": "run",
        "ELECTRICAL": "breakdown",
        "STARVED": "idle",
        "NO_SHIFT": "not_scheduled",
    }


def test_sensor_minutes(built) -> None:
    wh, _ = built
    rows = wh.query(
        "SELECT minute, n, n_bad, min_value, max_value, mean_value, stddev_value "
        "FROM fab.fact_sensor_minute WHERE day = {day:Date} AND machine_id = 'ETCH-01' "
        "ORDER BY minute",
        {"day": DAY},
    ).to_dicts()
    assert len(rows) == 2  # the 22:30 UTC reading belongs to the next plant-local day
    first, second = rows
    assert (first["n"], first["n_bad"], first["min_value"], first["max_value"]) == (60, 1, 0, 59)
    assert first["mean_value"] == pytest.approx(29.5)
    assert first["stddev_value"] == pytest.approx(math.sqrt((60**2 - 1) / 12))
    assert (second["n"], second["n_bad"], second["mean_value"]) == (60, 0, 89.5)


def test_production_hourly(built) -> None:
    wh, _ = built
    rows = wh.query(
        "SELECT toHour(hour) AS h, shift_code, good, scrap, total, events, ideal_time_s "
        "FROM fab.fact_production_hourly WHERE day = {day:Date} ORDER BY hour",
        {"day": DAY},
    ).to_dicts()
    assert rows == [
        {
            "h": 5,
            "shift_code": "A",
            "good": 44,
            "scrap": 1,
            "total": 45,
            "events": 2,
            "ideal_time_s": 45 * 90.0,
        },
        {
            "h": 13,
            "shift_code": "B",
            "good": 25,
            "scrap": 0,
            "total": 25,
            "events": 1,
            "ideal_time_s": 25 * 90.0,
        },
    ]


def test_inspections_and_defects(built) -> None:
    wh, _ = built
    inspections = wh.query(
        "SELECT wafer_id, defect_count, product_id FROM fab.fact_inspection "
        "WHERE day = {day:Date} ORDER BY wafer_id",
        {"day": DAY},
    )
    assert inspections.rows() == [(WAFERS[0], 2, "LOGIC-A"), (WAFERS[1], 0, "LOGIC-A")]
    defects = wh.query(
        "SELECT defect_type, lot_id, machine_id, radius_mm FROM fab.fact_defect "
        "WHERE day = {day:Date} ORDER BY defect_no",
        {"day": DAY},
    )
    assert defects.rows() == [("particle", LOT, "INSP-01", 10.0), ("scratch", LOT, "INSP-01", 50.0)]


def test_wafer_history_is_the_route(built) -> None:
    wh, _ = built
    rows = wh.query(
        "SELECT wafer_id, step_no, machine_id, track_in_ts, track_out_ts, duration_s, "
        "sensor_mean, sensor_n, measurements, inspections, defect_count, defect_types "
        "FROM fab.fact_wafer_history WHERE day = {day:Date} ORDER BY wafer_id, step_no",
        {"day": DAY},
    ).to_dicts()
    assert [(r["wafer_id"], r["step_no"], r["machine_id"]) for r in rows] == [
        (WAFERS[0], 1, "LITHO-01"),
        (WAFERS[0], 2, "INSP-01"),
        (WAFERS[1], 1, "LITHO-01"),
        (WAFERS[1], 2, "INSP-01"),
    ]
    litho = rows[0]
    assert litho["track_in_ts"] == utc(2025, 3, 30, 6)
    assert litho["duration_s"] == 3600.0
    assert litho["sensor_mean"] == {"temperature": pytest.approx(22.2)}
    assert litho["sensor_n"] == 3
    assert litho["measurements"] == {"critical_dimension_nm": 45.25}
    assert rows[2]["measurements"] == {}
    insp = rows[1]
    assert (insp["inspections"], insp["defect_count"]) == (1, 2)
    assert insp["defect_types"] == {"particle": 1, "scratch": 1}
    assert (rows[3]["inspections"], rows[3]["defect_count"]) == (1, 0)


def test_rebuilding_a_partition_is_idempotent(built) -> None:
    wh, dsn = built
    before = _snapshot(wh, DAY)
    assert sum(frame.height for frame in before.values()) > 0
    build_day(wh, DAY, dsn, TZ)
    build_day(wh, DAY, dsn, TZ)
    _assert_day_unchanged(wh, before)


def test_building_the_next_day_leaves_this_day_alone(built) -> None:
    wh, dsn = built
    before = _snapshot(wh, DAY)
    stats = {s.table: s for s in build_day(wh, NEXT_DAY, dsn, TZ)}
    # the 23:00 UTC RUNNING event and the 22:30 UTC reading belong to 2025-03-31
    assert stats["fact_machine_state"].rows > 0
    assert stats["fact_sensor_minute"].rows == 1
    _assert_day_unchanged(wh, before)


def test_a_failed_build_leaves_the_day_as_it_was(built) -> None:
    from fabstack.errors import FabError
    from warehouse.build import build_fact

    wh, _ = built
    before = _snapshot(wh, DAY)
    with pytest.raises(FabError, match="warehouse:"):
        build_fact(
            wh,
            "fact_machine_state",
            DAY,
            "postgresql://postgres@127.0.0.1:5432/no_such_landing_db",
            TZ,
        )
    assert _snapshot(wh, DAY)["fact_machine_state"].equals(before["fact_machine_state"])
