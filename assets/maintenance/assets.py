"""Thin Dagster assets over the maintenance lifecycle (math lives in the plain modules).

maintenance_features -> fact_anomaly
                     -> failure_model (weekly / on demand: horizon, family, hyper-parameters)
                     -> fact_failure_risk (daily, promoted model) -> fact_machine_health
Bad input (no data, no failures, horizon outside 1-14, a missing model or feature column)
fails the step with the reason as a one-line description, never a silent bad model.
"""

# No `from __future__ import annotations`: Dagster resolves Config annotations at runtime.
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import dagster as dg
import polars as pl

from assets.conventions import WAREHOUSE_POOL, layer
from assets.maintenance import service
from assets.maintenance.common import DEFAULT_HORIZON_DAYS, MODEL_NAME
from assets.maintenance.evaluate import HEADLINE_METRICS
from assets.maintenance.train import TrainConfig
from assets.partitions import daily_partitions, partition_day
from assets.resources import LandingResource, WarehouseResource
from fabstack.errors import FabError

GROUP = "maintenance"
OWNERS = ["team:ml-engineering"]
POOL = WAREHOUSE_POOL
TAGS = layer("fact", nightly=True)  # scored by its own nightly job, not the daily facts job
T = TypeVar("T")


def _guard(fn: Callable[[], T]) -> T:
    """A FabError becomes a failed step whose description is the reason."""
    try:
        return fn()
    except FabError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None


class MaintenanceFeaturesConfig(dg.Config):
    days: int = 90
    end_day: str | None = None  # last UTC day included (YYYY-MM-DD); default: the latest data
    source: str = "warehouse"  # "warehouse" (ClickHouse facts) or "landing" (PostgreSQL)


class FailureModelConfig(dg.Config):
    horizon_days: int = DEFAULT_HORIZON_DAYS
    family: str = "hist_gradient_boosting"
    params: dict[str, Any] = {}
    seed: int | None = None
    auto_promote: bool = True


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FabError(f"{field}: expected YYYY-MM-DD, got {text!r}") from None


def _md_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "-"
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _num(value: Any) -> dg.MetadataValue:
    return (
        dg.MetadataValue.float(float(value)) if value is not None else dg.MetadataValue.text("n/a")
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"clickhouse", "polars"},
    pool=POOL,
    deps=[
        dg.AssetKey("fact_sensor_minute"),
        dg.AssetKey("fact_machine_state"),
        dg.AssetKey("fact_production_hourly"),
        dg.AssetKey("dim_machine"),
    ],
    description="Failure features per machine x day over a 30-day lookback (sensor level, "
    "slope, spread and excursions vs limits; alarms; running hours and cycles; time since "
    "maintenance and failures; MTBF so far; anomaly rates), aggregated in ClickHouse and "
    "finished in polars. Saved under FAB_HOME/maintenance for training and scoring.",
)
def maintenance_features(
    context: dg.AssetExecutionContext,
    config: MaintenanceFeaturesConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    settings = warehouse.settings()

    def run() -> service.FeatureRun:
        if config.days < 7:
            raise FabError(f"days: need at least 7 days of history, got {config.days}")
        if config.source not in ("warehouse", "landing"):
            raise FabError(f"source: expected warehouse or landing, got {config.source!r}")
        end_day = _day(config.end_day, "end_day")
        if config.source == "landing":
            from assets.maintenance.sources import (
                inputs_from_landing,
                landing_data_range,
                readings_from_landing,
            )

            with landing.connect() as conn:
                end = (
                    datetime.combine(end_day + timedelta(days=1), time(), UTC)
                    if end_day
                    else landing_data_range(conn)[1]
                )
                start = end - timedelta(days=config.days)
                inputs = inputs_from_landing(conn, start, end)
                readings = readings_from_landing(conn, start, end)
        else:
            from assets.maintenance.warehouse_io import (
                inputs_from_warehouse,
                readings_from_warehouse,
                warehouse_data_end,
            )
            from warehouse.build import landing_params

            with warehouse.open() as wh:
                if end_day:
                    end = datetime.combine(end_day + timedelta(days=1), time(), UTC)
                else:
                    last = warehouse_data_end(wh)
                    if last is None:
                        raise FabError("maintenance features: fab.fact_sensor_minute is empty")
                    last = last if last.tzinfo else last.replace(tzinfo=UTC)
                    end = last + timedelta(minutes=1)
                start = end - timedelta(days=config.days)
                inputs = inputs_from_warehouse(wh, start, end, landing_params(landing.url()))
                readings = readings_from_warehouse(wh, start, end)
        context.log.info(
            "loaded %d hourly sensor rows, %d state events from %s",
            inputs.sensor_hourly.height,
            inputs.states.height,
            config.source,
        )
        return service.compute_features(
            inputs, readings, settings.home_dir, start=start, end=end, seed=settings.seed
        )

    result = _guard(run)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(result.rows),
            "machines": dg.MetadataValue.int(result.machines),
            "days": dg.MetadataValue.int(result.days),
            "features": dg.MetadataValue.int(result.feature_count),
            "failures_in_window": dg.MetadataValue.int(result.failures),
            "window": dg.MetadataValue.text(
                f"{result.start.isoformat()} .. {result.end.isoformat()}"
            ),
            "anomalous_windows": dg.MetadataValue.int(result.anomalous_windows),
            "source": dg.MetadataValue.text(config.source),
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"clickhouse", "scikitlearn"},
    pool=POOL,
    deps=[maintenance_features],
    partitions_def=daily_partitions(),
    tags=TAGS,
    description="Isolation Forest anomaly scores per machine and hourly sensor window, one "
    "forest per machine type (contamination 0.05, features standardised per machine): "
    "fab.fact_anomaly, the partition's day replaced.",
)
def fact_anomaly(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from assets.maintenance.warehouse_io import replace_days

    day = partition_day(context)

    def run() -> pl.DataFrame:
        rows = service.anomaly_facts(warehouse.settings().home_dir)
        rows = rows.filter(pl.col("day") == day)
        if rows.is_empty():
            raise FabError(f"no anomaly scores for {day}: materialize maintenance_features first")
        with warehouse.open() as wh:
            replace_days(wh, "fact_anomaly", rows)
        return rows

    rows = _guard(run)
    rate = float(rows["is_anomaly"].mean()) if rows.height else 0.0
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(rows.height),
            "anomaly_rate": dg.MetadataValue.float(rate),
            "table": dg.MetadataValue.text("fab.fact_anomaly"),
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"scikitlearn", "postgres"},
    deps=[maintenance_features],
    description="Train the failure model (time-ordered train/validation/test, class weights, "
    "sigmoid calibration on validation), evaluate it beside the plain Isolation-Forest "
    "baseline, log the run and register the version in MLflow, and point the `champion` alias "
    "at it when its PR AUC on the same test window is not worse than the champion's.",
)
def failure_model(
    context: dg.AssetExecutionContext,
    config: FailureModelConfig,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    settings = warehouse.settings()
    params = {
        k: (int(v) if isinstance(v, float) and v.is_integer() else v)
        for k, v in config.params.items()
    }

    def run():
        train_config = TrainConfig(
            horizon_days=config.horizon_days,
            family=config.family,
            params=params,
            seed=config.seed if config.seed is not None else settings.seed,
        ).checked()
        with landing.connect() as conn:
            return service.train_from_saved(
                conn, settings.home_dir, train_config, auto_promote=config.auto_promote
            )

    result, record, promotion = _guard(run)
    m, b = result.metrics, result.baseline_metrics or {}
    context.log.info(
        "registered %s v%d; %s",
        MODEL_NAME,
        record.version,
        promotion.reason if promotion else "not promoted (auto_promote off)",
    )
    compare = [{"metric": k, "model": m.get(k), "baseline": b.get(k)} for k in HEADLINE_METRICS]
    cm = m["confusion_matrix"]
    return dg.MaterializeResult(
        metadata={
            "model_version": dg.MetadataValue.int(record.version),
            "promoted": dg.MetadataValue.bool(bool(promotion and promotion.promoted)),
            "promotion": dg.MetadataValue.text(
                promotion.reason if promotion else "auto_promote off"
            ),
            "horizon_days": dg.MetadataValue.int(record.horizon_days),
            "family": dg.MetadataValue.text(record.family),
            "params": dg.MetadataValue.json(record.params),
            **{k: _num(m.get(k)) for k in HEADLINE_METRICS},
            "baseline_pr_auc": _num(b.get("pr_auc")),
            "baseline_roc_auc": _num(b.get("roc_auc")),
            "model_vs_baseline": dg.MetadataValue.md(_md_table(compare)),
            "confusion_matrix": dg.MetadataValue.md(
                _md_table(
                    [
                        {"": "actual failure", "HIGH": cm["tp"], "not HIGH": cm["fn"]},
                        {"": "no failure", "HIGH": cm["fp"], "not HIGH": cm["tn"]},
                    ]
                )
            ),
            "feature_importances": dg.MetadataValue.md(_md_table(result.importances)),
            "windows": dg.MetadataValue.json(result.windows),
            "code_version": dg.MetadataValue.text(record.code_version),
            "artifact": dg.MetadataValue.text(record.artifact_path),
            "mlflow_run": dg.MetadataValue.url(record.run_url),
        }
    )


@dg.multi_asset(
    name="maintenance_scoring",
    specs=[
        dg.AssetSpec(
            "fact_failure_risk",
            group_name=GROUP,
            owners=OWNERS,
            kinds={"clickhouse", "scikitlearn"},
            tags=TAGS,
            deps=[maintenance_features, failure_model],
            description="Daily failure risk per machine from the champion model "
            "(models:/failure_risk@champion): probability, band (HIGH > 0.7, MEDIUM > 0.4, else "
            "LOW), the recommended action and the top contributing features.",
        ),
        dg.AssetSpec(
            "fact_machine_health",
            group_name=GROUP,
            owners=OWNERS,
            kinds={"clickhouse"},
            tags=TAGS,
            deps=[maintenance_features, failure_model, fact_anomaly],
            description="Machine health 0-100 per day: 100 - 70 x failure risk - 30 x min(1, "
            "7-day anomaly rate / 0.25), from the same scoring as the day's failure risk.",
        ),
    ],
    partitions_def=daily_partitions(),
    pool=POOL,
)
def maintenance_scoring(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
):
    """Scores the partition's day once with the champion model; risk and health both come from
    that one scoring, so the two tables can never disagree about the model."""
    from assets.maintenance.warehouse_io import replace_days

    day = partition_day(context)

    def run():
        with landing.connect() as conn:
            record, risk, health = service.score_saved(conn, warehouse.settings().home_dir, day)
        if risk.is_empty():
            raise FabError(f"no maintenance features for {day}: materialize maintenance_features")
        with warehouse.open() as wh:
            replace_days(wh, "fact_failure_risk", risk)
            replace_days(wh, "fact_machine_health", health)
        return record, risk, health

    record, risk, health = _guard(run)
    bands = {b: int((risk["band"] == b).sum()) for b in ("HIGH", "MEDIUM", "LOW")}
    context.log.info("scored %d machines with v%d: %s", risk.height, record.version, bands)
    yield dg.MaterializeResult(
        asset_key="fact_failure_risk",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(risk.height),
            "model_version": dg.MetadataValue.int(record.version),
            "mlflow_run": dg.MetadataValue.url(record.run_url),
            "day": dg.MetadataValue.text(str(day)),
            **{f"machines_{b.lower()}": dg.MetadataValue.int(n) for b, n in bands.items()},
            "risk": dg.MetadataValue.md(
                _md_table(
                    risk.select("machine_id", "probability", "band", "top_features").to_dicts()
                )
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="fact_machine_health",
        metadata={
            "dagster/row_count": dg.MetadataValue.int(health.height),
            "model_version": dg.MetadataValue.int(record.version),
            "min_health": dg.MetadataValue.float(float(health["health"].min())),
            "health": dg.MetadataValue.md(
                _md_table(
                    health.select(
                        "machine_id", "health", "probability", "anomaly_rate_7d"
                    ).to_dicts()
                )
            ),
        },
    )


MAINTENANCE_ASSETS = [maintenance_features, fact_anomaly, failure_model, maintenance_scoring]
