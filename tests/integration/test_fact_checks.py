"""Checks on the facts: they pass on a day built from the landing zone, and they catch a fact
that no longer matches its source (rows lost in the warehouse after the build)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.integration.warehouse_dataset import DAY, TZ, write_dataset


def test_fact_checks_pass_on_a_built_day_and_catch_lost_rows(
    landing_dsn: str, fab_home: Path
) -> None:
    from assets.fact_checks.rules import RULES, evaluate
    from assets.resources import LandingResource
    from fabstack.settings import load_settings
    from orchestration.location import build_definitions
    from orchestration.run import materialize_days
    from warehouse.build import partition_params
    from warehouse.client import open_warehouse

    write_dataset(landing_dsn)
    defs = build_definitions(["warehouse", "fact_checks"])
    results = materialize_days(
        [DAY], defs=defs, resources={"landing": LandingResource(dsn=landing_dsn)}
    )
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in results[0].get_asset_check_evaluations()
    }
    warehouse_rules = [r for r in RULES if r.table in {k for k, _ in evaluations}]
    assert {r.table for r in warehouse_rules} >= {
        "fact_sensor_minute",
        "fact_machine_state",
        "fact_production_hourly",
        "fact_inspection",
        "fact_defect",
        "fact_wafer_history",
    }
    for (table, check), e in evaluations.items():
        assert e.passed, f"{table}.{check}: {e.metadata}"
        assert e.partition == DAY.isoformat()
    assert (
        evaluations[("fact_sensor_minute", "reconciles_with_landing")].metadata["expected"].value
        > 0
    )

    # lose one minute of readings in the warehouse: the reconciliation must see it
    rule = next(r for r in RULES if r.name == "fact_sensor_minute__reconciles_with_landing")
    params = partition_params(DAY, TZ, landing_dsn)
    with open_warehouse(load_settings()) as wh, psycopg.connect(landing_dsn) as conn:
        lost = wh.scalar(
            "SELECT n + n_bad FROM fab.fact_sensor_minute WHERE day = {day:Date} "
            "ORDER BY minute, machine_id, metric LIMIT 1",
            {"day": DAY},
        )
        wh.command(
            "ALTER TABLE fab.fact_sensor_minute DELETE WHERE (minute, machine_id, metric) IN "
            "(SELECT minute, machine_id, metric FROM fab.fact_sensor_minute "
            "WHERE day = {day:Date} ORDER BY minute, machine_id, metric LIMIT 1) "
            "SETTINGS mutations_sync = 1",
            {"day": DAY},
        )
        outcome = evaluate(wh, rule, params, conn)
    assert not outcome.passed
    assert outcome.failing == lost > 0
    assert outcome.expected - outcome.observed == lost
