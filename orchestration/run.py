"""Materialize the code location in-process: what `fab demo` and the tests call.

`materialize_days(days)` runs the daily job once per plant-local day (dimensions with the first
day only), in this process, so chDB is never opened by two processes. Progress is reported
through a callback ``progress(done, total, day)``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import date

import dagster as dg

from fabstack.errors import FabError
from orchestration.jobs import DAILY_JOB

Progress = Callable[[int, int, str], None]


def _dimension_keys(job: dg.JobDefinition) -> set[dg.AssetKey]:
    graph = job.asset_layer.asset_graph
    return {
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_executable and graph.get(key).partitions_def is None
    }


def materialize_days(
    days: Iterable[date | str],
    *,
    progress: Progress | None = None,
    defs: dg.Definitions | None = None,
    instance: dg.DagsterInstance | None = None,
    resources: dict[str, object] | None = None,
    refresh_dimensions: bool = True,
    log_level: str = "WARNING",
) -> list[dg.ExecuteInProcessResult]:
    """Materialize every asset of the daily job for each day; raises FabError on a failed run.

    ``resources`` override the code location's (tests bind a landing DSN and FAB_HOME this way);
    ``log_level`` is the Dagster console log level of the runs (progress goes to ``progress``).
    """
    if defs is None:
        from orchestration.definitions import defs as location_defs

        defs = location_defs
    job = defs.resolve_job_def(DAILY_JOB)
    if resources:
        job = _with_resources(defs, resources).resolve_job_def(DAILY_JOB)
    keys = [d.isoformat() if isinstance(d, date) else str(d) for d in days]
    dims = _dimension_keys(job)
    everything = set(job.asset_layer.asset_graph.get_all_asset_keys())
    executable = {k for k in everything if job.asset_layer.asset_graph.get(k).is_executable}
    results = []
    own_instance = instance is None
    instance = instance or dg.DagsterInstance.ephemeral()
    _pool_storage_connections(instance)
    try:
        # one warehouse engine for every asset of every day (nested opens share it)
        with _held_warehouse(defs, resources):
            for index, day in enumerate(keys):
                if progress:
                    progress(index, len(keys), day)
                selection = executable if (refresh_dimensions and index == 0) else executable - dims
                result = job.execute_in_process(
                    partition_key=day,
                    instance=instance,
                    asset_selection=sorted(selection, key=lambda k: k.to_user_string()),
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                )
                if not result.success:
                    raise FabError(f"materialize {day}: {_first_failure(result)}")
                results.append(result)
        if progress:
            progress(len(keys), len(keys), keys[-1] if keys else "")
    finally:
        if own_instance:
            instance.dispose()
    return results


_POOLED: weakref.WeakSet[dg.DagsterInstance] = weakref.WeakSet()


def _pool_storage_connections(instance: dg.DagsterInstance) -> None:
    """Keep the storage connections open for the instance's lifetime: Dagster's PostgreSQL
    storage opens a connection per event by default (NullPool), a few hundred per day's run.
    No statement timeout (0), as before; a no-op for the ephemeral (in-memory) instance."""
    if instance in _POOLED:
        return
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=10)
    _POOLED.add(instance)


def _held_warehouse(
    defs: dg.Definitions, resources: dict[str, object] | None
) -> AbstractContextManager[object]:
    """The run's warehouse, opened once around all days (see warehouse.client.open_warehouse)."""
    from assets.resources import WarehouseResource

    bound = (resources or {}).get("warehouse") or (defs.resources or {}).get("warehouse")
    return bound.open() if isinstance(bound, WarehouseResource) else nullcontext()


def _with_resources(defs: dg.Definitions, resources: dict[str, object]) -> dg.Definitions:
    merged = dict(defs.resources or {})
    merged.update(resources)
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        resources=merged,
        executor=defs.executor,
    )


def _first_failure(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            cause = error.cause if error and error.cause else error
            message = (cause.message if cause else "step failed").strip().splitlines()
            return f"{event.step_key}: {message[0] if message else 'failed'}"
    return "run failed"


IMPLICIT_JOB = "__ASSET_JOB"  # with asset_selection: whatever job Dagster builds for them


def run_job(
    name: str,
    *,
    run_config: dict | None = None,
    defs: dg.Definitions | None = None,
    instance: dg.DagsterInstance | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    partition_key: str | None = None,
    log_level: str = "WARNING",
) -> dg.ExecuteInProcessResult:
    """Run one job of the code location in-process (the nightly plan, forecasts, maintenance
    scoring), for one partition where the job is partitioned; raises FabError naming the first
    failed step."""
    if defs is None:
        from orchestration.definitions import defs as location_defs

        defs = location_defs
    if asset_selection is not None and name == IMPLICIT_JOB:
        job = defs.resolve_implicit_job_def_def_for_assets(list(asset_selection))
    else:
        job = defs.resolve_job_def(name)
    quiet = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    instance = instance or dg.DagsterInstance.ephemeral()
    _pool_storage_connections(instance)
    result = job.execute_in_process(
        instance=instance,
        run_config={**quiet, **(run_config or {})},
        asset_selection=list(asset_selection) if asset_selection else None,
        partition_key=partition_key,
        raise_on_error=False,
    )
    if not result.success:
        raise FabError(f"{name}: {_first_failure(result)}")
    return result
