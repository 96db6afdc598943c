"""The per-day gate: ``landing_partition`` and its great-expectations checks.

``landing_partition`` stands for one plant-local day of the landing zone. Materializing it
counts the day's rows and runs every suite (``gate.validate_day``); each suite is a blocking
asset check, so a day with bad rows fails the step and nothing downstream of
``landing_partition`` - the warehouse facts - is built for it. The failing rules and a sample of
the failing rows are on each check's metadata in the UI.
"""

from datetime import UTC, datetime
from typing import Any

import dagster as dg

from assets.conventions import layer
from assets.data_quality.gate import OPERATING_LIMITS, DayReport, SuiteReport, validate_day
from assets.data_quality.landing_day import ROW_TABLES, DayWindow
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource
from fabstack.errors import FabError

LANDING_PARTITION = dg.AssetKey("landing_partition")
GROUP = "data_quality"
CHECKED_TABLES: tuple[str, ...] = ("sensor_reading", *ROW_TABLES)

_RULES = {
    "sensor_reading": "known machine and metric, value a working sensor can show (the machine "
    "limits widened to allow idle readings near zero and excursions), no timestamp in the future",
    "machine_state": "known machine and reason code, accepted state matching the reason, "
    "no timestamp in the future",
    "production_count": "known machine, non-negative good and scrap, no timestamp in the future",
    "lot_move": "known machine, track_in/track_out, 0-25 wafers, no timestamp in the future",
    "inspection": "known machine, non-negative defect count, no timestamp in the future",
    "defect": "known defect type, position on the wafer, positive size, no timestamp in the future",
}


def check_name(table: str) -> str:
    return f"{table}_valid"


CHECK_SPECS = [
    *(
        dg.AssetCheckSpec(
            check_name(table),
            asset=LANDING_PARTITION,
            blocking=True,
            description=f"landing.{table} rows of the day: {_RULES[table]}. Blocks the day.",
        )
        for table in CHECKED_TABLES
    ),
    dg.AssetCheckSpec(
        "sensor_reading_within_operating_limits",
        asset=LANDING_PARTITION,
        blocking=False,
        description="Readings not above the machine's upper limit (landing.machine_metric_limit)."
        " Process excursions pass it before an interlock stops the tool, so this warns only.",
    ),
]


class LandingDayConfig(dg.Config):
    now: str | None = None  # ISO instant used as "now" (replays, tests); default: the clock


def _markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def _check_result(name: str, report: SuiteReport, blocking: bool) -> dg.AssetCheckResult:
    outcome = report.outcome
    failing = sum(e.failing for e in outcome.expectations)
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=LANDING_PARTITION,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_checked": dg.MetadataValue.int(outcome.rows),
            "failing_values": dg.MetadataValue.int(failing),
            "failed_rules": dg.MetadataValue.json(outcome.failed_rules),
            "rules": dg.MetadataValue.json(outcome.summary()),
            "failing_rows": dg.MetadataValue.json(report.failing_rows),
            "failing_rows_table": dg.MetadataValue.md(_markdown(report.failing_rows)),
        },
    )


def check_results(report: DayReport) -> list[dg.AssetCheckResult]:
    results = [
        _check_result(check_name(table), report.suites[table], blocking=True)
        for table in CHECKED_TABLES
    ]
    results.append(
        _check_result(
            "sensor_reading_within_operating_limits",
            report.suites[OPERATING_LIMITS],
            blocking=False,
        )
    )
    return results


STAGING_MODELS = (
    "stg_sensor_reading",
    "stg_machine_state_interval",
    "stg_production_count",
    "stg_inspection",
    "stg_defect",
    "stg_lot_step",
    "stg_lot_genealogy",
)


@dg.asset(
    key=LANDING_PARTITION,
    description=(
        "One plant-local day of landing-zone data, checked before the warehouse may use it: "
        "readings within plausible ranges of the machine limits, no timestamps in the future, "
        "non-negative counts, known machines, reason codes and defect types, accepted states. "
        "A day that fails a blocking check does not reach the warehouse facts."
    ),
    partitions_def=daily_partitions(),
    check_specs=CHECK_SPECS,
    # the dbt staging models (and their tests) come first, so lineage reads
    # landing -> staging -> this gate -> warehouse facts
    deps=[dg.AssetKey(["landing", table]) for table in CHECKED_TABLES]
    + [dg.AssetKey(model) for model in STAGING_MODELS],
    group_name=GROUP,
    kinds={"postgres", "great_expectations"},
    owners=["team:data-engineering"],
    tags=layer("gate"),
)
def landing_partition(
    context: dg.AssetExecutionContext, config: LandingDayConfig, landing: LandingResource
) -> dg.MaterializeResult:
    window = DayWindow.of(partition_day(context), plant_timezone())
    now = datetime.fromisoformat(config.now) if config.now else datetime.now(UTC)
    if now.tzinfo is None:
        raise FabError(f"landing_partition config now: needs a UTC offset, got {config.now!r}")
    with landing.connect() as conn:
        report = validate_day(conn, window, now)
    failed = [t for t in CHECKED_TABLES if not report.suites[t].success]
    if failed:
        context.log.error("landing day %s fails %s", window.day, ", ".join(map(check_name, failed)))
    else:
        context.log.info("landing day %s passes every blocking check", window.day)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(sum(report.row_counts.values())),
            "rows_by_table": dg.MetadataValue.json(report.row_counts),
            "window_start_utc": dg.MetadataValue.text(window.start.isoformat()),
            "window_end_utc": dg.MetadataValue.text(window.end.isoformat()),
            "latest_allowed_ts": dg.MetadataValue.text(report.latest.isoformat()),
        },
        check_results=check_results(report),
    )
