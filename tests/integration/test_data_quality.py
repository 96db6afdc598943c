"""The per-day data-quality gate on real PostgreSQL: a clean day passes and reaches the facts;
a day with bad rows fails its blocking checks, shows the failing rows, and its facts are skipped.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.data_quality.checks import LANDING_PARTITION, LandingDayConfig, landing_partition
from assets.data_quality.landing_day import DayWindow
from assets.partitions import daily_partitions, plant_timezone
from assets.resources import LandingResource, WarehouseResource
from assets.warehouse.assets import fact_assets
from ingestion.plant import load_plant
from tests.integration.dq_samples import LAST_ROW_H, write_bad_rows, write_valid_day

GOOD_DAY = date(2026, 3, 10)
BAD_DAY = date(2026, 3, 11)
PLANT = load_plant("demo")


def _window(day: date) -> DayWindow:
    return DayWindow.of(day, plant_timezone())


def _now(day: date):
    """'Now' for a run: after every valid row of the day, an hour before the injected one."""
    return _window(day).start + timedelta(hours=LAST_ROW_H + 1)


@dg.asset(partitions_def=daily_partitions(), deps=[LANDING_PARTITION])
def fact_gated() -> dg.MaterializeResult:
    """Stands in for a warehouse fact built from the checked day."""
    return dg.MaterializeResult(metadata={"built": True})


@pytest.fixture(scope="module")
def landing(module_landing_dsn: str) -> LandingResource:
    for day in (GOOD_DAY, BAD_DAY):
        write_valid_day(module_landing_dsn, _window(day))
    injected = write_bad_rows(module_landing_dsn, _window(BAD_DAY), _now(BAD_DAY))
    assert set(injected) == {"above_limit", "unknown_machine", "future", "negative_count"}
    return LandingResource(dsn=module_landing_dsn)


def _run(day: date, landing: LandingResource, *downstream, **resources):
    return dg.materialize(
        [landing_partition, *downstream],
        partition_key=day.isoformat(),
        resources={"landing": landing, **resources},
        run_config=dg.RunConfig(
            ops={"landing_partition": LandingDayConfig(now=_now(day).isoformat())}
        ),
        raise_on_error=False,
    )


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_clean_day_passes_every_check_and_reaches_the_fact(landing: LandingResource) -> None:
    result = _run(GOOD_DAY, landing, fact_gated)

    assert result.success
    checks = _checks(result)
    assert len(checks) == 7
    assert all(c.passed for c in checks.values()), {n for n, c in checks.items() if not c.passed}
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {LANDING_PARTITION, dg.AssetKey("fact_gated")}
    counts = result.asset_materializations_for_node("landing_partition")[0].metadata
    metrics = sum(len(PLANT.machine_types[m.type].sensors) for m in PLANT.machines)
    assert counts["rows_by_table"].value["sensor_reading"] == metrics * LAST_ROW_H * 4
    assert counts["rows_by_table"].value["machine_state"] == 50


def test_bad_day_fails_blocking_checks_and_the_facts_are_not_built(
    landing: LandingResource, tmp_path: Path
) -> None:
    facts = fact_assets()  # the real warehouse facts, each gated on landing_partition
    warehouse = WarehouseResource(home=str(tmp_path / "fab_home"))
    result = _run(BAD_DAY, landing, fact_gated, *facts, warehouse=warehouse)

    assert not result.success
    checks = _checks(result)
    failed = {name for name, c in checks.items() if not c.passed}
    assert failed == {
        "sensor_reading_valid",  # 1880 degC on ETCH-01, GHOST-99
        "machine_state_valid",  # an event an hour after "now"
        "production_count_valid",  # good = -3
        "sensor_reading_within_operating_limits",  # warns about the 1880 too
    }
    assert all(checks[n].blocking for n in failed - {"sensor_reading_within_operating_limits"})
    assert not checks["sensor_reading_within_operating_limits"].blocking

    readings = checks["sensor_reading_valid"].metadata
    rows = readings["failing_rows"].value
    assert {(r["machine_id"], r["value"]) for r in rows} == {
        ("ETCH-01", 1880.0),
        ("GHOST-99", 22.0),
    }
    assert set(readings["failed_rules"].value) == {
        "known machine",
        "metric has machine limits",
        "readings within the plausible range of the machine limits: not above the upper bound",
    }
    assert "GHOST-99" in readings["failing_rows_table"].value
    states = checks["machine_state_valid"].metadata
    assert states["failed_rules"].value == ["ts not in the future"]
    assert [r["machine_id"] for r in states["failing_rows"].value] == ["DEP-01"]
    counts = checks["production_count_valid"].metadata["failing_rows"].value
    assert [(r["machine_id"], r["good"]) for r in counts] == [("CMP-01", -3)]

    # The gate stopped the day: its blocking checks failed the step; no fact step ran.
    failures = result.get_step_failure_events()
    assert [f.step_key for f in failures] == ["landing_partition"]
    assert failures[0].step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
    assert result.asset_materializations_for_node("landing_partition")  # the day is recorded
    fact_steps = {"fact_gated", *(a.node_def.name for a in facts)}
    assert len(fact_steps) == 1 + len(facts) >= 6
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {LANDING_PARTITION}
    assert not [e for e in result.all_events if e.step_key in fact_steps and e.is_step_start]
