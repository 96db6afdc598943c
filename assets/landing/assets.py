"""The hourly sensor rollup in the landing zone, refreshed one plant day at a time."""

from pathlib import Path

import dagster as dg

from assets.data_quality.landing_day import DayWindow
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource
from ingestion.landing.db import storage_mode
from ingestion.landing.timescale import refresh_rollup

SQL_DIR = Path(__file__).parent / "sql"


@dg.asset(
    description=(
        "Hourly sensor statistics (count, mean, min, max per machine and metric) in the landing "
        "zone, for live boards and quick looks without the warehouse. This asset brings one "
        "plant day of it up to date: on TimescaleDB it refreshes the continuous aggregate over "
        "the day (its policy only covers the last 3 days), on plain PostgreSQL it rebuilds the "
        "day's rows; a re-run gives the same rows."
    ),
    partitions_def=daily_partitions(),
    deps=[dg.AssetKey(["landing", "sensor_reading"])],
    group_name="landing",
    kinds={"postgres", "sql"},
    owners=["team:data-engineering"],
)
def landing_sensor_hourly(
    context: dg.AssetExecutionContext, landing: LandingResource
) -> dg.MaterializeResult:
    window = DayWindow.of(partition_day(context), plant_timezone())
    with landing.connect(autocommit=True) as conn:
        refresh_rollup(conn, storage_mode(conn), window.start, window.end)
        buckets, readings = conn.execute(
            (SQL_DIR / "sensor_hourly_rows.sql").read_text(), window.params()
        ).fetchone()
    context.log.info(
        "hourly rollup for %s: %s buckets over %s readings", window.day, buckets, readings
    )
    return dg.MaterializeResult(
        metadata={
            "buckets": dg.MetadataValue.int(int(buckets)),
            "readings": dg.MetadataValue.int(int(readings)),
            "window_start": dg.MetadataValue.text(window.start.isoformat()),
            "window_end": dg.MetadataValue.text(window.end.isoformat()),
        }
    )
