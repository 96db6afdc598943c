"""Write forecasts into the warehouse: the forecast day's partition of each fact, replaced."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from assets.forecasting.montecarlo import FAN_PERCENTILES, CapacityFan, CapacityForecast
from assets.forecasting.on_time import OnTimeForecast
from warehouse.client import Warehouse
from warehouse.writer import replace_partition

DDL = Path(__file__).parent / "sql" / "warehouse.sql"
_STATS = ("mean", "p5", "p10", "p50", "p90", "p95", "p99", "ci95_low", "ci95_high")


def ensure_forecast_schema(wh: Warehouse) -> None:
    wh.run_script(DDL.read_text())


def capacity_frame(f: CapacityForecast) -> pl.DataFrame:
    """One row per machine, per area and for the line, with the same statistics."""
    common = {"horizon_days": f.days, "sims": f.sims, "seed": f.seed}

    def row(level: str, key: str, stats: dict, area: str = "", bottleneck: str | None = None):
        return {
            "level": level,
            "key": key,
            "area_id": area,
            "bottleneck_share": stats.get("bottleneck_share", 0.0),
            "is_bottleneck": key == bottleneck,
            **{k: stats[k] for k in _STATS},
            **common,
        }

    return pl.DataFrame(
        [row("machine", m["machine_id"], m, m["area_id"], f.bottleneck_machine) for m in f.machines]
        + [row("area", a["area_id"], a, a["area_id"], f.bottleneck_area) for a in f.areas]
        + [row("line", "line", f.line)]
    )


def fan_frame(fan: CapacityFan, day: date, sims: int, seed: int) -> pl.DataFrame:
    """One row per level (area / line), area and horizon day: the fan's bands and mean."""
    stats = ("mean", *(f"p{p}" for p in FAN_PERCENTILES))
    series = [("area", a, s) for a, s in fan.areas.items()] + [("line", "", fan.line)]
    return pl.DataFrame(
        [
            {
                "level": level,
                "area_id": area,
                "horizon_day": h + 1,
                "horizon_date": day + timedelta(days=h),
                "horizon_days": fan.days,
                "sims": sims,
                "seed": seed,
                **{k: float(values[k][h]) for k in stats},
            }
            for level, area, values in series
            for h in range(fan.days)
        ]
    )


def write_capacity(
    wh: Warehouse, day: date, forecast: CapacityForecast, scenarios: list[dict]
) -> dict[str, int]:
    """The forecast day's partitions of capacity, scenarios and (when computed) the fan."""
    ensure_forecast_schema(wh)
    written = {
        "fact_forecast_capacity": replace_partition(
            wh, "fact_forecast_capacity", day, capacity_frame(forecast)
        ),
        "fact_forecast_scenario": replace_partition(
            wh, "fact_forecast_scenario", day, pl.DataFrame(scenarios)
        ),
    }
    if forecast.fan is not None:
        written["fact_forecast_fan"] = replace_partition(
            wh,
            "fact_forecast_fan",
            day,
            fan_frame(forecast.fan, day, forecast.sims, forecast.seed),
        )
    return written


def write_on_time(
    wh: Warehouse, day: date, plan_id: str, plan_start: datetime, forecast: OnTimeForecast
) -> int:
    ensure_forecast_schema(wh)

    def ts(minutes: float | None) -> datetime | None:
        return None if minutes is None else plan_start + timedelta(minutes=float(minutes))

    frame = pl.DataFrame(
        [
            {
                "plan_id": plan_id,
                "lot_id": r["lot_id"],
                "due_ts": ts(r["due_min"]),
                "planned_end_ts": ts(r["planned_end_min"]),
                "planned_on_time": r["planned_on_time"],
                "p_on_time": r["p_on_time"],
                "end_p50_ts": ts(r["end_p50_min"]),
                "end_p90_ts": ts(r["end_p90_min"]),
                "sims": forecast.sims,
            }
            for r in forecast.lots
        ],
        schema_overrides={"due_ts": pl.Datetime("us", "UTC"), "p_on_time": pl.Float64},
    )
    return replace_partition(wh, "fact_forecast_on_time", day, frame)


def write_ets(wh: Warehouse, day: date, ets: dict, mc_line_p50: float | None) -> int:
    ensure_forecast_schema(wh)
    frame = pl.DataFrame(
        [
            {
                "model": ets["model"],
                "day_ahead": d["day"],
                "mean": d["mean"],
                "pi_low": d["pi_low"],
                "pi_high": d["pi_high"],
                "total_p50": ets["total_p50"],
                "total_low": ets["total_pi_low"],
                "total_high": ets["total_pi_high"],
                "mc_line_p50": mc_line_p50,
            }
            for d in ets["daily"]
        ],
        schema_overrides={"mc_line_p50": pl.Float64},
    )
    return replace_partition(wh, "fact_forecast_ets", day, frame)
