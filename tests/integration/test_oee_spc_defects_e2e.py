"""End to end on the demo plant: simulator backfill -> landing -> warehouse (chDB) -> OEE, SPC
and defect facts, scored against the simulator's ground truth; then the same through Dagster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
import psycopg
import pytest

from assets.defects.build import compute_defect_day, write_defect_day
from assets.defects.signature import accuracy_by_class
from assets.oee.build import compute_oee_day, write_oee_day
from assets.spc.alerting import candidate_alerts, record_alerts
from assets.spc.build import build_capability_day, build_spc_day, update_limits
from fabstack.settings import load_settings
from ingestion.simulator.backfill import run_backfill
from tests.conftest import drop_database, migrated_and_seeded
from warehouse.build import build_day, build_dims, ensure_schema
from warehouse.client import open_warehouse

pytestmark = pytest.mark.slow

TZ = "Europe/Berlin"
END = datetime(2026, 11, 18, 0, tzinfo=UTC)  # 01:00 local: the last local day is partial
DAYS = [date(2026, 11, 13) + timedelta(days=i) for i in range(5)]
BASELINE_DAYS = 2
UTC_TS = pl.Datetime("us", "UTC")


@pytest.fixture(scope="module")
def plant(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    dsn = migrated_and_seeded()
    home = Path(tmp_path_factory.mktemp("fab_home"))
    run_backfill(dsn, "demo", len(DAYS), 42, END, sensor_rate_hz=0.01)
    settings = load_settings(home=home, clickhouse_url=None)
    with open_warehouse(settings) as wh, psycopg.connect(dsn, autocommit=True) as conn:
        ensure_schema(wh)
        build_dims(wh, dsn, TZ)
        for day in DAYS:
            build_day(wh, day, dsn, TZ)
        for day in DAYS:
            write_oee_day(wh, day, compute_oee_day(wh, conn, day, TZ, now=END))
            update_limits(wh, conn, day, TZ, baseline_days=BASELINE_DAYS)
            build_spc_day(wh, conn, day, TZ)
            build_capability_day(wh, day)
            write_defect_day(wh, day, compute_defect_day(wh, day))
    yield dsn, home
    drop_database(dsn)


def _wh(home: Path):
    return open_warehouse(load_settings(home=home, clickhouse_url=None))


def _truth(dsn: str, sql: str, schema: list[str]) -> pl.DataFrame:
    with psycopg.connect(dsn) as conn:
        return pl.DataFrame(conn.execute(sql).fetchall(), schema=schema, orient="row")


def test_every_day_has_oee_spc_and_defect_facts(plant) -> None:
    _, home = plant
    with _wh(home) as wh:
        for table in (
            "fact_oee",
            "fact_oee_losses",
            "fact_downtime_pareto",
            "fact_mtbf_mttr",
            "fact_spc_points",
            "fact_defect_pareto",
            "fact_wafer_signature",
            "fact_defect_yield",
            "fact_defect_trends",
        ):
            days = set(wh.query(f"SELECT DISTINCT day FROM fab.{table}")["day"].to_list())
            assert set(DAYS) <= days, (table, sorted(days))


def test_oee_matches_ground_truth_within_a_tenth_of_a_point(plant) -> None:
    dsn, home = plant
    truth = _truth(
        dsn,
        "SELECT machine_id, shift_date, shift_code, oee, availability, "
        "performance, quality FROM truth.machine_shift_oee WHERE complete "
        "AND oee IS NOT NULL",
        ["machine_id", "shift_date", "shift_code", "t_oee", "t_a", "t_p", "t_q"],
    )
    with _wh(home) as wh:
        mine = wh.query(
            "SELECT toString(entity_id) AS machine_id, shift_date, toString(shift_code) AS "
            "shift_code, oee, availability, performance, quality FROM fab.fact_oee "
            "WHERE grain = 'shift' AND level = 'machine' AND complete = 1"
        )
    joined = truth.join(mine, on=["machine_id", "shift_date", "shift_code"], how="inner")
    assert joined.height >= 100  # ~13 complete shifts x 10 machines
    for ours, theirs in (
        ("oee", "t_oee"),
        ("availability", "t_a"),
        ("performance", "t_p"),
        ("quality", "t_q"),
    ):
        gap = (joined[ours] - joined[theirs]).abs().max() * 100
        print(f"{ours}: max gap {gap:.2e} pp over {joined.height} shifts")
        assert gap <= 0.1


def test_rollups_sum_times_and_counts(plant) -> None:
    _, home = plant
    with _wh(home) as wh:
        f = wh.query(
            "SELECT toString(level) AS level, window_start, sum(planned_production_min) "
            "AS planned, sum(good) AS good, sum(fully_productive_min) AS fp "
            "FROM fab.fact_oee WHERE grain = 'shift' GROUP BY level, window_start"
        )
    by_level = {lvl: part.sort("window_start") for (lvl,), part in f.group_by("level")}
    for level in ("area", "line", "plant"):
        for col in ("planned", "good", "fp"):
            assert by_level[level][col].to_list() == pytest.approx(
                by_level["machine"][col].to_list()
            )


def test_every_injected_spc_shift_is_flagged(plant) -> None:
    dsn, home = plant
    shifts = _truth(
        dsn,
        "SELECT machine_id, parameter, kind, start_ts, end_ts, "
        "magnitude_sigma FROM truth.spc_shift ORDER BY start_ts",
        ["machine_id", "item", "kind", "start_ts", "end_ts", "sigma"],
    )
    lots = _truth(
        dsn,
        "SELECT machine_id, parameter, min(ts) FROM landing.process_measurement "
        "GROUP BY machine_id, parameter, lot_id, date_trunc('minute', ts)",
        ["machine_id", "item", "ts"],
    )
    with _wh(home) as wh:
        viol = wh.query(
            "SELECT toString(machine_id) AS machine_id, toString(item) AS item, ts "
            "FROM fab.spc_violations WHERE source = 'measurement' AND rule <= 4"
        )
    viol = viol.with_columns(pl.col("ts").cast(UTC_TS))
    # version-1 limits come from the first BASELINE_DAYS local days; Phase II starts after
    phase_two = datetime.combine(DAYS[BASELINE_DAYS], datetime.min.time(), ZoneInfo(TZ))
    checked = 0
    for s in shifts.iter_rows(named=True):
        same = (pl.col("machine_id") == s["machine_id"]) & (pl.col("item") == s["item"])
        inside = (pl.col("ts") >= s["start_ts"]) & (pl.col("ts") < s["end_ts"])
        measured = lots.filter(same & inside).sort("ts")
        if measured.height == 0:
            continue  # no wafer of that tool was measured while the shift lasted
        if s["start_ts"] < phase_two:
            continue  # injected into the Phase I baseline: the limits absorb part of it
        flagged = viol.filter(same & inside)
        assert flagged.height, f"missed {s}"
        delay = measured.filter(pl.col("ts") <= flagged["ts"].min()).height
        print(
            f"{s['machine_id']} {s['item']} {s['kind']} {s['sigma']:+.2f} sigma: "
            f"flagged after {delay} lot(s) of {measured.height}"
        )
        checked += 1
    assert checked >= 3


def test_capability_uses_the_recipes_spec_limits(plant) -> None:
    """Every measured parameter with spec limits gets Cp/Cpk/Pp/Ppk from the 7-day window; the
    demo's specs sit wider than the process (Cpk about 1-2); sensor series keep only their
    spread."""
    _, home = plant
    with _wh(home) as wh:
        cap = wh.query(
            "SELECT * FROM fab.fact_spc_capability WHERE day = {day:Date}", {"day": DAYS[-1]}
        )
    specified = cap.filter(pl.col("lsl").is_not_null())
    assert set(specified["recipe_id"]) == {"LITHO-M1", "LITHO-M2", "DEP-CVD", "DEP-PVD"}
    assert (specified["points"] >= 10).all() and (specified["window_days"] == 7).all()
    assert (specified["cpk"] <= specified["cp"] + 1e-12).all()
    assert (specified["ppk"] <= specified["pp"] + 1e-12).all()
    assert specified["cpk"].min() > 0.8 and specified["cpk"].max() < 3.0
    assert specified["cpk"].median() > 1.0
    sensors = cap.filter(pl.col("source") == "sensor")
    assert sensors.height > 0 and sensors["cpk"].is_null().all()
    assert (sensors["sigma_within"] > 0).all()


def test_signatures_agree_with_simulator_labels(plant) -> None:
    dsn, home = plant
    truth = _truth(
        dsn, "SELECT inspection_id, signature FROM truth.wafer_map", ["inspection_id", "truth"]
    )
    with _wh(home) as wh:
        ours = wh.query(
            "SELECT inspection_id, toString(signature) AS signature FROM fab.fact_wafer_signature"
        )
    joined = ours.join(truth, on="inspection_id")
    acc = accuracy_by_class(joined["truth"].to_list(), joined["signature"].to_list())
    print(acc)
    assert joined.height >= 300
    assert acc.filter(pl.col("signature") == "overall")["accuracy"][0] >= 0.9


def test_alerts_are_raised_once(plant) -> None:
    dsn, home = plant
    with _wh(home) as wh:
        alerts = candidate_alerts(wh, DAYS[0])
    assert {a["kind"] for a in alerts} == {"spc", "oee"}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM landing.alert")
        first = record_alerts(conn, alerts)
        again = record_alerts(conn, alerts)
    assert len(first) == len({a["dedupe_key"] for a in alerts}) and again == []


def test_alert_sensor_writes_rows_and_tags_a_run(plant, monkeypatch) -> None:
    import assets.spc.assets as spc_assets
    from assets.resources import LandingResource, WarehouseResource

    dsn, home = plant
    # The data are from the past: widen the sensor's look-back to reach them.
    monkeypatch.setattr(
        spc_assets, "ALERT_LOOKBACK_DAYS", (datetime.now(UTC).date() - DAYS[0]).days
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM landing.alert")
    resources = {
        "landing": LandingResource(dsn=dsn),
        "warehouse": WarehouseResource(home=str(home)),
    }
    context = dg.build_sensor_context(resources=resources)
    request = spc_assets.spc_oee_alerts(context)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["fab/alert"] == "true"
    ids = request.run_config["ops"]["announce_alerts"]["config"]["alert_ids"]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM landing.alert").fetchone()[0] == len(ids)
    again = spc_assets.spc_oee_alerts(dg.build_sensor_context(resources=resources))
    assert isinstance(again, dg.SkipReason)  # nothing new: no second alert, no second run


def test_dagster_assets_rebuild_a_day_identically(plant) -> None:
    """The thin assets over the same code, through Dagster with the real resources."""
    from assets.defects.assets import defect_facts
    from assets.oee.assets import oee_facts
    from assets.resources import LandingResource, WarehouseResource
    from assets.spc.assets import spc_facts, spc_limits

    dsn, home = plant
    day = DAYS[3]
    query = "SELECT count() AS n, sum(good) AS good FROM fab.fact_oee WHERE day = {day:Date}"
    with _wh(home) as wh:
        before = wh.query(query, {"day": day}).row(0)
        viol_before = wh.scalar(
            "SELECT count() FROM fab.spc_violations WHERE day = {day:Date}", {"day": day}
        )
        capability = (
            "SELECT count() AS n, sum(cpk) AS cpk FROM fab.fact_spc_capability "
            "WHERE day = {day:Date}"
        )
        cap_before = wh.query(capability, {"day": day}).row(0)
    result = dg.materialize(
        [oee_facts, spc_limits, spc_facts, defect_facts],
        partition_key=day.isoformat(),
        resources={
            "landing": LandingResource(dsn=dsn),
            "warehouse": WarehouseResource(home=str(home)),
        },
        run_config={"ops": {"spc_limits": {"config": {"baseline_days": BASELINE_DAYS}}}},
    )
    assert result.success
    with _wh(home) as wh:
        assert wh.query(query, {"day": day}).row(0) == before
        assert (
            wh.scalar("SELECT count() FROM fab.spc_violations WHERE day = {day:Date}", {"day": day})
            == viol_before
        )
        assert wh.query(capability, {"day": day}).row(0) == pytest.approx(cap_before)
        versions = wh.scalar("SELECT max(version) FROM fab.spc_limits")
    assert versions == 1  # a plain run never re-baselines


def test_wafer_map_drilldown_has_coordinates_sem_and_edx(plant) -> None:
    from assets.defects.drilldown import edx_peaks, wafer_map

    dsn, _ = plant
    with psycopg.connect(dsn) as conn:
        wafer, n = conn.execute(
            "SELECT wafer_id, count(*) FROM landing.defect GROUP BY wafer_id "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        defects = wafer_map(conn, wafer)
    assert defects.height == n
    assert defects["x_mm"].abs().max() <= 150 and (defects["size_um"] > 0).all()
    reviewed = defects.filter(pl.col("sem_image_ref").is_not_null())
    assert reviewed.height >= 1
    assert all(edx_peaks(s) for s in reviewed["edx_spectrum"].to_list())
