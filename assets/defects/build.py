"""One plant-local day of defect facts over the `Warehouse` interface (no Dagster here)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from assets.defects.signature import classify_defects, train_classifier
from assets.defects.summary import defect_pareto, tool_stats, trends
from assets.defects.yield_model import lot_yield, wafer_yield
from fabstack.sqlfile import SqlFolder
from warehouse.client import Warehouse
from warehouse.writer import replace_partition

SQL = SqlFolder(Path(__file__).parent / "sql")
UTC_TS = pl.Datetime("us", "UTC")
TREND_DAYS = 28
PARETO_DIMENSIONS = ("defect_type", "machine_id", "step_no")


@lru_cache(maxsize=1)
def signature_model():
    """The signature classifier, trained once per process on our synthetic maps (seeded)."""
    return train_classifier()


def ensure_defect_schema(wh: Warehouse) -> None:
    wh.run_script(SQL.text("schema"))


def _q(wh: Warehouse, name: str, params: dict) -> pl.DataFrame:
    return wh.query(SQL.statement(name), params)


def compute_defect_day(wh: Warehouse, day: date) -> dict[str, pl.DataFrame]:
    """Frames of every defect fact for ``day``."""
    defects = _q(wh, "wh_day_defects", {"day": day})
    inspections = _q(wh, "wh_day_inspections", {"day": day})
    if inspections.height:
        inspections = inspections.with_columns(pl.col("ts").cast(UTC_TS))
    out: dict[str, pl.DataFrame] = {}
    pareto_frames = (
        [
            defect_pareto(defects, dim).select(
                pl.lit(dim).alias("dimension"),
                pl.col(dim).alias("key"),
                "defects",
                "pct",
                "cum_pct",
                "rank",
            )
            for dim in PARETO_DIMENSIONS
        ]
        if defects.height
        else []
    )
    out["fact_defect_pareto"] = pl.concat(pareto_frames) if pareto_frames else pl.DataFrame()

    daily = _q(
        wh,
        "wh_daily_type_counts",
        {"first_day": day - timedelta(days=TREND_DAYS - 1), "last_day": day},
    )
    if daily.height:
        # From the first day with data (a trend over days before the plant ran means nothing).
        first = max(day - timedelta(days=TREND_DAYS - 1), daily["day"].min())
        days = pl.DataFrame({"day": pl.date_range(first, day, "1d", eager=True)})
        full = (
            daily.select("defect_type")
            .unique()
            .join(days, how="cross")
            .join(
                daily.with_columns(pl.col("defects").cast(pl.Int64)),
                on=["defect_type", "day"],
                how="left",
            )
            .with_columns(pl.col("defects").fill_null(0))
        )
        rolled, slopes = trends(full)
        today = rolled.filter(pl.col("day") == day).join(slopes, on="defect_type")
        out["fact_defect_trends"] = today.select(
            "defect_type",
            "defects",
            "rolling_mean",
            "slope_per_day",
            "p_value",
            pl.col("days").alias("trend_days"),
        )
    else:
        out["fact_defect_trends"] = pl.DataFrame()

    if inspections.height:
        out["fact_defect_tool_stats"] = tool_stats(inspections)
        maps = inspections.select("inspection_id", "ts", "wafer_id", "lot_id", "machine_id")
        coords = (
            defects.select("inspection_id", "x_mm", "y_mm")
            if defects.height
            else pl.DataFrame(
                schema={"inspection_id": pl.Utf8, "x_mm": pl.Float64, "y_mm": pl.Float64}
            )
        )
        out["fact_wafer_signature"] = classify_defects(signature_model(), coords, maps)
        wafers = wafer_yield(
            inspections,
            pl.DataFrame(
                {
                    "product_id": inspections["product_id"],
                    "die_area_mm2": inspections["die_area_mm2"],
                }
            ).unique("product_id"),
        )
        lots = lot_yield(wafers).join(
            inspections.group_by("lot_id").agg(pl.col("product_id").first()), on="lot_id"
        )
        out["fact_defect_yield"] = pl.concat(
            [
                wafers.select(
                    pl.lit("wafer").alias("level"),
                    "inspection_id",
                    "wafer_id",
                    "lot_id",
                    "product_id",
                    pl.lit(1, pl.Int64).alias("wafers"),
                    pl.col("defect_count").alias("defects"),
                    "die_area_mm2",
                    "d0_per_cm2",
                    "poisson_yield",
                ),
                lots.select(
                    pl.lit("lot").alias("level"),
                    pl.lit("").alias("inspection_id"),
                    pl.lit("").alias("wafer_id"),
                    "lot_id",
                    "product_id",
                    pl.col("wafers").cast(pl.Int64),
                    "defects",
                    "die_area_mm2",
                    "d0_per_cm2",
                    "poisson_yield",
                ),
            ],
            how="vertical_relaxed",
        )
    else:
        for name in ("fact_defect_tool_stats", "fact_wafer_signature", "fact_defect_yield"):
            out[name] = pl.DataFrame()
    return out


def write_defect_day(wh: Warehouse, day: date, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    ensure_defect_schema(wh)
    return {name: replace_partition(wh, name, day, frame) for name, frame in frames.items()}
