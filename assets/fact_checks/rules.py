"""The fact rules: what each fact table must satisfy, evaluated with plain SQL (no Dagster).

A rule's warehouse SQL (``sql/<name>.sql``) returns one row with ``failing`` and ``checked``
(rows or units that break the rule / that were looked at) and may add ``observed``. A
reconciliation rule also has a landing SQL (``sql/<name>.landing.sql``, PostgreSQL) whose
single value is the ``expected`` figure: ``failing`` is then ``|observed - expected|``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from fabstack.sqlfile import sql_file
from warehouse.client import Warehouse

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class FactRule:
    name: str
    table: str  # the fact asset (and table) it checks
    description: str
    warn_only: bool = False  # a property worth watching, not a broken table

    @property
    def reconciles(self) -> bool:
        return (SQL_DIR / f"{self.name}.landing.sql").exists()


@dataclass(frozen=True)
class RuleOutcome:
    passed: bool
    failing: float
    checked: int
    observed: float | None = None
    expected: float | None = None

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {"failing": self.failing, "checked": self.checked}
        if self.observed is not None:
            out["observed"] = self.observed
        if self.expected is not None:
            out["expected"] = self.expected
        return out


def _rule(table: str, name: str, description: str, *, warn_only: bool = False) -> FactRule:
    return FactRule(f"{table}__{name}", table, description, warn_only)


RULES: tuple[FactRule, ...] = (
    _rule("fact_sensor_minute", "reconciles_with_landing",
          "Every landed reading of the day is counted once (n + n_bad summed over minutes "
          "equals landing.sensor_reading rows in the day's UTC window)."),
    _rule("fact_production_hourly", "reconciles_with_landing",
          "Good plus scrap over the day's hours equals landing.production_count for the day."),
    _rule("fact_machine_state", "covers_the_day",
          "Each machine's state intervals add up to exactly the day's seconds (up to the "
          "build time while the day runs): no gap, no overlap."),
    _rule("fact_inspection", "reconciles_with_landing",
          "One row per landed inspection of the day."),
    _rule("fact_defect", "reconciles_with_landing",
          "One row per landed defect of the day."),
    _rule("fact_wafer_history", "steps_in_order",
          "Every wafer step tracks in before it tracks out, with a non-negative duration."),
    _rule("fact_oee", "ratios_in_range",
          "Availability and quality within [0, 1], performance and OEE non-negative and "
          "finite, run time within planned time, and per machine OEE = availability x "
          "performance x quality."),
    _rule("fact_oee", "performance_at_most_one",
          "Performance above 100 % in a window: lot counts land at track-out, so an hour or "
          "shift that ends a long lot shows more output than it ran. Watch, not an error.",
          warn_only=True),
    _rule("fact_oee_losses", "minutes_non_negative",
          "Loss minutes are non-negative (reduced speed excepted: see performance above 100 %)."),
    _rule("fact_downtime_pareto", "shares_in_range",
          "Minutes non-negative; shares and cumulative shares within [0, 100] %."),
    _rule("fact_mtbf_mttr", "non_negative", "Failures, minutes, MTBF and MTTR non-negative."),
    _rule("fact_spc_points", "limits_ordered",
          "Every point is finite and LCL <= centre <= UCL."),
    _rule("spc_violations", "known_rules",
          "Every violation names a Western Electric / Nelson rule 1-8."),
    _rule("fact_spc_capability", "indices_finite",
          "Sigmas non-negative, Cp/Cpk/Pp/Ppk finite wherever their sigma is positive."),
    _rule("fact_defect_yield", "yield_in_range", "Poisson yield within [0, 1], D0 >= 0."),
    _rule("fact_wafer_signature", "confidence_in_range",
          "Signature confidence within [0, 1]."),
    _rule("fact_defect_pareto", "shares_in_range",
          "Defect counts non-negative; shares and cumulative shares within [0, 100] %."),
    _rule("fact_forecast_capacity", "percentiles_ordered",
          "P5 <= P10 <= P50 <= P90 <= P95 <= P99 for every machine, area and the line."),
    _rule("fact_forecast_fan", "bands_ordered",
          "P10 <= P25 <= P50 <= P75 <= P90 on every horizon day."),
    _rule("fact_forecast_on_time", "probabilities_in_range",
          "On-time probabilities within [0, 1]; P50 finish no later than P90."),
    _rule("fact_forecast_ets", "interval_contains_mean",
          "Each day's ETS mean lies inside its prediction interval."),
    _rule("fact_schedule_slot", "each_step_once",
          "Every lot step is in its plan exactly once, and every slot ends after it starts."),
    _rule("fact_plan_run", "figures_consistent",
          "Gap non-negative, on-time plus late lots no more than the lots planned."),
    _rule("fact_plan_utilisation", "within_capacity", "Planned utilisation within [0, 1]."),
    _rule("fact_failure_risk", "bands_match",
          "Probabilities within [0, 1]; each band is the one its probability falls in."),
    _rule("fact_machine_health", "from_the_days_risk",
          "Health within [0, 100], from the same model version and probability as the day's "
          "failure risk (one scoring feeds both)."),
    _rule("fact_wafer_sort", "yield_matches_dies",
          "Each sorted wafer's yield is its passing share of dies; no more fails than dies."),
    _rule("fact_die_bin", "agrees_with_wafer_sort",
          "The day's die bins add up to each sorted wafer's die and fail counts."),
    _rule("fact_anomaly", "scores_finite",
          "Anomaly scores finite, flags 0 or 1, windows ordered."),
)  # fmt: skip  # one rule a line reads as a table


def rules_for(table: str) -> list[FactRule]:
    return [r for r in RULES if r.table == table]


def evaluate(
    wh: Warehouse,
    rule: FactRule,
    params: dict[str, Any],
    landing: psycopg.Connection | None = None,
) -> RuleOutcome:
    """Run one rule for one plant day; ``params`` are warehouse.build.partition_params."""
    row = wh.query(sql_file(SQL_DIR / f"{rule.name}.sql"), params).row(0, named=True)
    checked = int(row.get("checked") or 0)
    observed = row.get("observed")
    if rule.reconciles:
        if landing is None:
            raise ValueError(f"{rule.name}: reconciliation needs a landing connection")
        landing_sql = sql_file(SQL_DIR / f"{rule.name}.landing.sql")
        expected = float(landing.execute(landing_sql, params).fetchone()[0] or 0)
        observed = float(observed or 0)
        failing = abs(observed - expected)
        # while the day runs, rows keep landing after the build: the fact may lag, never lead
        still_open = params["as_of"] < params["day_end"]
        passed = failing == 0 or (still_open and observed <= expected)
        return RuleOutcome(passed, failing, checked, observed, expected)
    failing = float(row["failing"] or 0)
    return RuleOutcome(failing == 0, failing, checked, observed)
