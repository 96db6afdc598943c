"""Thin Dagster assets over `assets.spc.build`: frozen, versioned limits; one day of judged
points and rule violations per partition; the alert sensor and the job it starts."""

from datetime import date, timedelta

import dagster as dg
import polars as pl

from assets.conventions import Domain, table_result
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource, WarehouseResource
from assets.spc.alerting import alerts_by_id, candidate_alerts, record_alerts, tag_run
from assets.spc.build import build_capability_day, build_spc_day, update_limits
from assets.spc.series import Baseline
from fabstack.calendar import plant_today
from fabstack.errors import FabError
from warehouse.client import open_warehouse

SPC = Domain("spc", ("team:quality-engineering",), frozenset({"clickhouse", "polars"}))
_DATA_DEPS = [
    dg.AssetKey(["landing", "process_measurement"]),
    dg.AssetKey("fact_sensor_minute"),
    dg.AssetKey("fact_inspection"),
]


class SpcLimitsConfig(dg.Config):
    """Re-baselining is an explicit action: set ``rebaseline`` and the window (plant-local
    days, inclusive). Without it, only series that have no limits yet get version 1 once their
    first ``baseline_days`` days are over."""

    rebaseline: bool = False
    baseline_first_day: str | None = None
    baseline_last_day: str | None = None
    baseline_days: int = 3
    min_points: int = 20
    reason: str = "re-baselined by an engineer"


@SPC.asset(
    "spc_limits",
    partitions_def=daily_partitions(),
    deps=_DATA_DEPS,
    description="Frozen Phase I control limits per SPC series and chart, versioned with their "
    "baseline window (R-bar/d2, S-bar/c4, MR-bar/1.128 sigma). A new version only through an "
    "explicit re-baseline (run config); otherwise existing limits never change.",
)
def spc_limits(
    context: dg.AssetExecutionContext,
    config: SpcLimitsConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    day = partition_day(context)
    rebaseline = None
    if config.rebaseline:
        try:
            first = date.fromisoformat(config.baseline_first_day or "")
            last = date.fromisoformat(config.baseline_last_day or "")
        except ValueError:
            raise FabError(
                "spc_limits: rebaseline needs baseline_first_day and "
                "baseline_last_day as YYYY-MM-DD"
            ) from None
        if last < first:
            raise FabError(f"spc_limits: baseline_last_day {last} is before {first}")
        rebaseline = Baseline(first, last, config.reason)
    with warehouse.open() as wh, landing.connect() as conn:
        added = update_limits(
            wh,
            conn,
            day,
            plant_timezone(),
            baseline_days=config.baseline_days,
            min_points=config.min_points,
            rebaseline=rebaseline,
        )
    series = (
        added.select("source", "machine_id", "item", "recipe_id").unique().height
        if added.height
        else 0
    )
    context.log.info("spc_limits %s: %d new limit rows for %d series", day, added.height, series)
    return dg.MaterializeResult(
        metadata={
            "new_limit_rows": dg.MetadataValue.int(added.height),
            "series_with_new_version": dg.MetadataValue.int(series),
            "rebaseline": dg.MetadataValue.bool(config.rebaseline),
        }
    )


SPC_SPECS = [
    SPC.spec(
        "fact_spc_points",
        "Every SPC point of the day (lot means of process measurements, hourly "
        "sensor means, defects per wafer) with the centre line and limits of the version in "
        "force, its z-score and Phase I/II.",
        deps=["spc_limits", *_DATA_DEPS],
    ),
    SPC.spec(
        "spc_violations",
        "Rule violations of the day: Western Electric 1-4 and Nelson 5-8, each with "
        "rule id, point, chart and the limit version it was judged against.",
        deps=["spc_limits", *_DATA_DEPS],
    ),
    SPC.spec(
        "fact_spc_capability",
        "Process capability of every individuals-chart series over the 7 days up to "
        "the day: mean, within and overall sigma and, where the recipe specifies limits for the "
        "measured parameter, Cp/Cpk (what the process could do), Pp/Ppk (what it did) and Cpm.",
        deps=["spc_limits", dg.AssetKey("dim_recipe"), *_DATA_DEPS],
    ),
]


@SPC.multi_asset("spc_facts", SPC_SPECS, daily_partitions())
def spc_facts(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
):
    day = partition_day(context)
    with warehouse.open() as wh, landing.connect() as conn:
        points, viol = build_spc_day(wh, conn, day, plant_timezone())
        capability = build_capability_day(wh, day)
    shewhart = viol.filter(viol["rule"] <= 4).height if viol.height else 0
    context.log.info(
        "SPC %s: %d points, %d violations (%d of rules 1-4)",
        day,
        points.height,
        viol.height,
        shewhart,
    )
    yield table_result("fact_spc_points", points.height)
    yield table_result("spc_violations", viol.height, rules_1_to_4=dg.MetadataValue.int(shewhart))
    below = capability.filter(pl.col("cpk") < 1.0).height if "cpk" in capability.columns else 0
    yield table_result(
        "fact_spc_capability", capability.height, series_cpk_below_1=dg.MetadataValue.int(below)
    )


class AnnounceConfig(dg.Config):
    alert_ids: list[int]


@dg.op(description="Log the new alerts and stamp them with this run's id.")
def announce_alerts(
    context: dg.OpExecutionContext, config: AnnounceConfig, landing: LandingResource
) -> None:
    with landing.connect() as conn:
        for row in alerts_by_id(conn, config.alert_ids):
            context.log.warning(
                "ALERT %s [%s] sev %s %s: %s", row[0], row[1], row[2], row[3], row[4]
            )
        tag_run(conn, config.alert_ids, context.run_id)


@dg.job(name="fab_alerts", description="Announces new SPC and OEE alerts (started by a sensor).")
def alert_job() -> None:
    announce_alerts()


ALERT_LOOKBACK_DAYS = 2


@dg.sensor(
    name="spc_oee_alerts",
    job=alert_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Raises an alert (landing.alert row + a tagged fab_alerts run) when a new "
    "violation of rules 1-4 appears on a process-measurement chart or a shift's OEE falls "
    "below the plant target.",
)
def spc_oee_alerts(
    context: dg.SensorEvaluationContext, landing: LandingResource, warehouse: WarehouseResource
):
    today = plant_today(plant_timezone())
    since = today - timedelta(days=ALERT_LOOKBACK_DAYS)
    try:  # never hold a sensor tick for long behind a running warehouse step
        with open_warehouse(warehouse.settings(), lock_timeout=20) as wh:
            alerts = candidate_alerts(wh, since)
    except FabError as exc:
        return dg.SkipReason(f"warehouse not available: {exc}")
    with landing.connect() as conn:
        new = record_alerts(conn, alerts)
    if not new:
        return dg.SkipReason("no new alerts")
    ids = [a["id"] for a in new]
    kinds = sorted({a["kind"] for a in new})
    return dg.RunRequest(
        run_key=f"alerts-{min(ids)}-{max(ids)}",
        run_config={"ops": {"announce_alerts": {"config": {"alert_ids": ids}}}},
        tags={
            "fab/alert": "true",
            "fab/alert_kinds": ",".join(kinds),
            "fab/alert_count": str(len(ids)),
            "fab/alert_machines": ",".join(sorted({a["machine_id"] for a in new}))[:200],
        },
    )
