"""great-expectations suites for one landing-zone day, and running them over pandas frames.

One suite per landing table. Suites are rebuilt per day because their value sets (known
machines, defect types, reason codes) and the latest allowed instant come from the data.
Each expectation carries a short rule name (``meta.rule``) that the Dagster check metadata
and the CLI show. Nothing here imports Dagster.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from assets.data_quality.landing_day import ReferenceSets

STATES = ("RUNNING", "IDLE", "SETUP", "DOWN", "MAINTENANCE", "OFFLINE")
LOT_EVENTS = ("track_in", "track_out")
WAFER_RADIUS_MM = 150.0
MAX_WAFERS_PER_LOT = 25
SAMPLE_ROWS = 20  # failing rows kept per expectation


@dataclass(frozen=True)
class ExpectationOutcome:
    rule: str
    success: bool
    checked: int
    failing: int
    failing_index: list[Any] = field(default_factory=list)  # frame index of failing rows


@dataclass(frozen=True)
class SuiteOutcome:
    """The result of one table's suite over one day."""

    suite: str
    success: bool
    rows: int
    expectations: list[ExpectationOutcome]

    @property
    def failed_rules(self) -> list[str]:
        return [e.rule for e in self.expectations if not e.success]

    def summary(self) -> dict[str, str]:
        """rule -> 'ok' or 'N of M failing', for check metadata."""
        return {
            e.rule: "ok" if e.success else f"{e.failing} of {e.checked} failing"
            for e in self.expectations
        }


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    # GX pins this logger at INFO and announces every ephemeral context's temporary docs folder
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


def _rule(expectation, rule: str):
    expectation.meta = {"rule": rule}
    return expectation


def _not_in_future(gx, column: str, latest: datetime):
    return _rule(
        gx.expectations.ExpectColumnValuesToBeBetween(column=column, max_value=latest),
        f"{column} not in the future",
    )


def _known(gx, column: str, values: frozenset[str], what: str):
    return _rule(
        gx.expectations.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values)),
        f"known {what}",
    )


def _non_negative(gx, column: str, max_value: float | None = None):
    return _rule(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, min_value=0, max_value=max_value
        ),
        f"{column} non-negative" if max_value is None else f"{column} in [0, {max_value:g}]",
    )


def _within(gx, low: str, high: str, value_min: str, value_max: str, what: str) -> list:
    """Per-row bounds: value_min >= low and high >= value_max (a missing bound is no bound)."""

    def at_least(a: str, b: str, name: str):
        expectation = gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"
        )
        return _rule(expectation, f"{what}: {name}")

    return [
        at_least(value_min, low, "not below the lower bound"),
        at_least(high, value_max, "not above the upper bound"),
    ]


def build_suites(ref: ReferenceSets, latest: datetime) -> dict[str, list]:
    """Expectations per suite name; ``latest`` is the newest instant a row may carry."""
    gx = _gx()
    e = gx.expectations
    reason_state_pairs = sorted((code, state) for code, state in ref.state_of_reason.items())
    return {
        # Per machine/metric profile of the day's readings (see landing_day.py).
        "sensor_reading": [
            _known(gx, "machine_id", ref.machines, "machine"),
            _rule(
                e.ExpectColumnValuesToBeInSet(column="has_limits", value_set=[True]),
                "metric has machine limits",
            ),
            *_within(
                gx,
                "plausible_low",
                "plausible_high",
                "min_value",
                "max_value",
                "readings within the plausible range of the machine limits",
            ),
            _not_in_future(gx, "last_ts", latest),
        ],
        "machine_state": [
            _known(gx, "machine_id", ref.machines, "machine"),
            _rule(
                e.ExpectColumnValuesToBeInSet(column="state", value_set=list(STATES)),
                "accepted state",
            ),
            _known(gx, "reason_code", ref.reason_codes, "reason code"),
            _rule(
                e.ExpectColumnPairValuesToBeInSet(
                    column_A="reason_code",
                    column_B="state",
                    value_pairs_set=reason_state_pairs,
                    ignore_row_if="either_value_is_missing",
                ),
                "state matches its reason code",
            ),
            _not_in_future(gx, "ts", latest),
        ],
        "production_count": [
            _known(gx, "machine_id", ref.machines, "machine"),
            _non_negative(gx, "good"),
            _non_negative(gx, "scrap"),
            _not_in_future(gx, "ts", latest),
        ],
        "lot_move": [
            _known(gx, "machine_id", ref.machines, "machine"),
            _rule(
                e.ExpectColumnValuesToBeInSet(column="event", value_set=list(LOT_EVENTS)),
                "accepted event",
            ),
            _non_negative(gx, "wafers", MAX_WAFERS_PER_LOT),
            _not_in_future(gx, "ts", latest),
        ],
        "inspection": [
            _known(gx, "machine_id", ref.machines, "machine"),
            _non_negative(gx, "defect_count"),
            _not_in_future(gx, "ts", latest),
        ],
        "defect": [
            _known(gx, "defect_type", ref.defect_types, "defect type"),
            _rule(
                e.ExpectColumnValuesToBeBetween(
                    column="x_mm", min_value=-WAFER_RADIUS_MM, max_value=WAFER_RADIUS_MM
                ),
                "x_mm on the wafer",
            ),
            _rule(
                e.ExpectColumnValuesToBeBetween(
                    column="y_mm", min_value=-WAFER_RADIUS_MM, max_value=WAFER_RADIUS_MM
                ),
                "y_mm on the wafer",
            ),
            _rule(
                e.ExpectColumnValuesToBeBetween(column="size_um", min_value=0, strict_min=True),
                "size_um positive",
            ),
            _not_in_future(gx, "ts", latest),
        ],
    }


def operating_limit_suite() -> list:
    """Readings not above the machine's upper operating limit (reported, never blocking)."""
    gx = _gx()
    return [
        _rule(
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="limit_high",
                column_B="max_value",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            "readings not above the machine's upper limit",
        )
    ]


class SuiteRunner:
    """An ephemeral great-expectations context with one pandas data source; runs suites."""

    def __init__(self) -> None:
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._source = self._context.data_sources.add_pandas("landing_day")
        self._runs = 0

    def run(self, suite_name: str, expectations: list, frame: pd.DataFrame) -> SuiteOutcome:
        gx = self._gx
        self._runs += 1
        name = f"{suite_name}_{self._runs}"  # names are unique per context
        batch = self._source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        suite = self._context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations:
            suite.add_expectation(expectation)
        validation = self._context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=name)
        )
        result = validation.run(
            batch_parameters={"dataframe": frame.reset_index(drop=True)},
            result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE_ROWS},
        )
        outcomes = []
        for r in result.results:
            info = r.result or {}
            if r.exception_info and r.exception_info.get("raised_exception"):
                raise RuntimeError(
                    f"{suite_name}: {r.expectation_config.type} raised "
                    f"{r.exception_info.get('exception_message')}"
                )
            outcomes.append(
                ExpectationOutcome(
                    rule=(r.expectation_config.meta or {}).get("rule", r.expectation_config.type),
                    success=bool(r.success),
                    checked=int(info.get("element_count", len(frame))),
                    failing=int(info.get("unexpected_count") or 0),
                    failing_index=list(info.get("unexpected_index_list") or []),
                )
            )
        return SuiteOutcome(suite_name, bool(result.success), len(frame), outcomes)


@functools.cache
def shared_runner() -> SuiteRunner:
    """One context per process: building a GX context costs seconds, and every day of a
    backfill would pay it again."""
    return SuiteRunner()
