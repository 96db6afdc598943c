"""The fact checks as Dagster asset checks: one per rule, on the day partition of its table.

They run with the daily job (a job that builds a fact runs the fact's checks) and show on each
table's Checks tab with the failing count, what was checked and, for a reconciliation, the
observed and expected figures. A failed check flags the table; it does not stop the run.
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

import warnings

import dagster as dg

from assets.conventions import WAREHOUSE_POOL
from assets.fact_checks.rules import RULES, FactRule, evaluate
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource, WarehouseResource
from warehouse.build import partition_params


def fact_check(rule: FactRule) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=rule.table,
        name=rule.name.split("__", 1)[1],
        description=rule.description,
        partitions_def=daily_partitions(),
        pool=WAREHOUSE_POOL,
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        landing: LandingResource,
        warehouse: WarehouseResource,
    ) -> dg.AssetCheckResult:
        params = partition_params(partition_day(context), plant_timezone(), landing.url())
        with warehouse.open() as wh, landing.connect() as conn:
            outcome = evaluate(wh, rule, params, conn)
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN if rule.warn_only else dg.AssetCheckSeverity.ERROR,
            metadata=outcome.metadata(),
        )

    return _check


with warnings.catch_warnings():
    # checks on day partitions are a preview feature of Dagster 1.13: used knowingly, and
    # pinned below 1.14 in pyproject.toml
    warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
    FACT_CHECKS = [fact_check(rule) for rule in RULES]

defs = dg.Definitions(asset_checks=FACT_CHECKS)
