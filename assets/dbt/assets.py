"""The dbt staging models as Dagster assets; their dbt tests as asset checks.

Keys: a model is ``AssetKey(<model name>)`` (e.g. ``stg_machine_state_interval``), a source
table ``AssetKey(["landing", <table>])`` - the same keys the warehouse uses for the landing
tables, so the graph joins up. dbt tests read the rows of a time window (run config
:class:`TestWindow`, passed to dbt as --vars; the whole zone when left out): they report (a
failed ERROR check is red in the UI) but do not block; the per-day gate that stops a bad
partition is ``assets/data_quality``.
"""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from assets.conventions import LAYER_TAG
from assets.dbt.profile import dbt_env
from assets.dbt.project import DBT_PROJECT
from assets.resources import LandingResource

GROUP = "staging"


class FabDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP if dbt_resource_props["resource_type"] == "model" else None

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        if dbt_resource_props["resource_type"] == "model":
            tags[LAYER_TAG] = "staging"
        return tags

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        # Whole-zone tests: one bad row anywhere must not block every day's facts.
        return spec._replace(blocking=False) if spec is not None else None


class TestWindow(dg.Config):
    """Rows the dbt tests read: timestamps with offsets, [test_from, test_to); empty = no bound.

    `fab demo` passes the days it builds, so the tests scan those days, not the whole zone."""

    test_from: str = ""
    test_to: str = ""

    def dbt_vars(self) -> list[str]:
        window = {
            name: value
            for name, value in (("fab_test_from", self.test_from), ("fab_test_to", self.test_to))
            if value
        }
        return ["--vars", json.dumps(window)] if window else []


class DbtModelError(Exception):
    """A dbt model failed to build (SQL error), as opposed to a failing dbt test."""


def _model_errors(run_results: Mapping[str, Any]) -> list[str]:
    return [
        f"{r['unique_id']}: {(r.get('message') or '').strip()}"
        for r in run_results.get("results", [])
        if r["unique_id"].startswith("model.") and r["status"] == "error"
    ]


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=FabDbtTranslator(),
    name="dbt_staging",
)
def dbt_staging(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    landing: LandingResource,
    config: TestWindow,
) -> Iterator:
    """`dbt build` of the staging views and their tests against the landing zone."""
    # profiles.yml reads FAB_DBT_*; the dbt subprocess inherits this process's environment.
    os.environ.update(dbt_env(landing.url()))
    invocation = dbt.cli(["build", *config.dbt_vars()], context=context, raise_on_error=False)
    yield from invocation.stream()
    errors = _model_errors(invocation.get_artifact("run_results.json"))
    if errors:
        raise DbtModelError("dbt models failed: " + "; ".join(errors))
