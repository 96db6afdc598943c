"""The maintenance lifecycle as plain steps over files, the warehouse and the registry.

Assets, the CLI and tests call these; each step reads what the previous one left under
``FAB_HOME/maintenance/`` (Parquet), so steps can run in separate processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import psycopg

from assets.maintenance.common import LOOKBACK_DAYS, one_thread
from assets.maintenance.features import MaintenanceInputs, feature_columns
from assets.maintenance.health import health_expr
from assets.maintenance.pipeline import TrainingResult, features_with_anomalies, train_failure_model
from assets.maintenance.registry import ModelRecord, Promotion, compare_and_promote, load_promoted
from assets.maintenance.registry import register as register_model
from assets.maintenance.scoring import score_day
from assets.maintenance.train import TrainConfig
from fabstack.errors import FabError

FILES = ("features", "states", "readings", "anomalies", "sensor_hourly")


def work_dir(home: Path) -> Path:
    path = Path(home) / "maintenance"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class FeatureRun:
    start: datetime
    end: datetime
    rows: int
    machines: int
    days: int
    feature_count: int
    failures: int
    anomalous_windows: int
    windows: int


def compute_features(
    inputs: MaintenanceInputs,
    readings: pl.DataFrame,
    home: Path,
    *,
    start: datetime,
    end: datetime,
    seed: int,
    anomaly_fit_share: float = 0.6,
) -> FeatureRun:
    """Anomaly scores + features over [start, end), saved for the training and scoring steps."""
    if inputs.sensor_hourly.is_empty():
        raise FabError(
            f"maintenance features: no sensor data between {start.isoformat()} and "
            f"{end.isoformat()} (is fact_sensor_minute built for these days?)"
        )
    fit_until = start + (end - start) * anomaly_fit_share
    features, anomalies = features_with_anomalies(inputs, seed, fit_until)
    out = work_dir(home)
    frames = {
        "features": features,
        "states": inputs.states,
        "readings": readings,
        "anomalies": anomalies,
        "sensor_hourly": inputs.sensor_hourly,
    }
    for name, frame in frames.items():
        tmp = out / f"{name}.parquet.tmp"
        frame.write_parquet(tmp)
        tmp.replace(out / f"{name}.parquet")
    from assets.maintenance.labels import failure_events

    return FeatureRun(
        start=start,
        end=end,
        rows=features.height,
        machines=features["machine_id"].n_unique(),
        days=features["day"].n_unique(),
        feature_count=len(feature_columns(features)),
        failures=failure_events(inputs.states).height if not inputs.states.is_empty() else 0,
        anomalous_windows=int(anomalies["is_anomaly"].sum()),
        windows=anomalies.height,
    )


def load_saved(home: Path, name: str) -> pl.DataFrame:
    path = work_dir(home) / f"{name}.parquet"
    if not path.exists():
        raise FabError(f"{path} is missing: materialize maintenance_features first")
    return pl.read_parquet(path)


def train_from_saved(
    conn: psycopg.Connection,
    home: Path,
    config: TrainConfig,
    *,
    auto_promote: bool = True,
) -> tuple[TrainingResult, ModelRecord, Promotion | None]:
    """Train on the saved features, register the version, and promote it if not worse."""
    features = load_saved(home, "features")
    states = load_saved(home, "states")
    readings = load_saved(home, "readings")
    hourly = load_saved(home, "sensor_hourly")
    inputs = MaintenanceInputs(
        machines=features.select("machine_id", "machine_type").unique(),
        limits=pl.DataFrame(),
        sensor_hourly=hourly,
        states=states,
        counts=pl.DataFrame(),
        alarms=pl.DataFrame(),
    )
    result = train_failure_model(
        inputs, config, readings=readings if not readings.is_empty() else None, features=features
    )
    record = register_model(conn, home, result, config)
    promotion = compare_and_promote(conn, record.version) if auto_promote else None
    if promotion is not None and promotion.promoted:
        record = replace(record, promoted=True)
    return result, record, promotion


def score_saved(
    conn: psycopg.Connection,
    home: Path,
    day: date | None = None,
) -> tuple[ModelRecord, pl.DataFrame, pl.DataFrame]:
    """(promoted model, fact_failure_risk rows, fact_machine_health rows) for ``day``."""
    features = load_saved(home, "features")
    record, fitted = load_promoted(conn, home=home)
    day = day or features["day"].max()
    with one_thread():
        risk = score_day(fitted, features, record.version, day)
    risk = risk.with_columns(
        horizon_days=pl.lit(record.horizon_days, pl.UInt8),
        scored_at=pl.lit(datetime.now().astimezone()).dt.convert_time_zone("UTC"),
    )
    rates = features.filter(pl.col("day") == day).select(
        "machine_id",
        pl.col("anomaly_rate_7d")
        if "anomaly_rate_7d" in features.columns
        else pl.lit(None, pl.Float64).alias("anomaly_rate_7d"),
    )
    health = (
        risk.select("day", "machine_id", "machine_type", "model_version", "probability", "band")
        .join(rates, on="machine_id", how="left")
        .with_columns(anomaly_rate_7d=pl.col("anomaly_rate_7d").fill_null(0.0))
        .with_columns(health=health_expr())
    )
    return record, risk, health


def anomaly_facts(home: Path, days: int = LOOKBACK_DAYS) -> pl.DataFrame:
    """fact_anomaly rows of the last ``days`` days of the saved anomaly scores."""
    anomalies = load_saved(home, "anomalies")
    if anomalies.is_empty():
        return anomalies.with_columns(day=pl.lit(None, pl.Date))
    last = anomalies["window_start"].max()
    recent = anomalies.filter(pl.col("window_start") > last - timedelta(days=days))
    return recent.with_columns(
        day=pl.col("window_start").dt.date(), is_anomaly=pl.col("is_anomaly").cast(pl.UInt8)
    )


def train_from_landing(
    dsn: str,
    home: Path,
    config: TrainConfig,
    *,
    days: float = 90,
    auto_promote: bool = True,
) -> tuple[TrainingResult, ModelRecord, Promotion | None]:
    """The whole lifecycle from the landing zone (no warehouse): what `fab model train` and
    the demo run. Features and anomalies over the last ``days`` days, then train/register."""
    from assets.maintenance.sources import (
        inputs_from_landing,
        landing_data_range,
        readings_from_landing,
    )

    config = config.checked()
    with psycopg.connect(dsn, autocommit=True) as conn:
        first, last = landing_data_range(conn)
        start = max(first, last - timedelta(days=days))
        inputs = inputs_from_landing(conn, start, last)
        readings = readings_from_landing(conn, start, last)
        compute_features(inputs, readings, home, start=start, end=last, seed=config.seed)
        return train_from_saved(conn, home, config, auto_promote=auto_promote)
