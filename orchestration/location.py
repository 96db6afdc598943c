"""Build the code location from a list of domains (see orchestration/definitions.py).

Kept apart from the module-level ``defs`` so a caller (tests, the demo) can build a subset of
domains without importing every domain.
"""

from __future__ import annotations

import importlib

import dagster as dg

from assets.resources import default_resources
from assets.warehouse.assets import landing_source_specs
from fabstack.settings import get_settings
from orchestration.jobs import daily_asset_keys, daily_job
from orchestration.klarf_drop import klarf_drop_sensor, klarf_import_job
from orchestration.schedules import schedules
from orchestration.sensors import landing_arrivals


def domain_definitions(domains: list[str]) -> list[dg.Definitions]:
    """Each domain's ``assets/<name>/definitions.py`` ``defs``."""
    return [importlib.import_module(f"assets.{name}.definitions").defs for name in domains]


def _defined_keys(defs_list: list[dg.Definitions]) -> set[dg.AssetKey]:
    keys: set[dg.AssetKey] = set()
    for defs in defs_list:
        for item in defs.assets or []:
            if isinstance(item, dg.AssetsDefinition):
                keys |= set(item.keys)
            elif isinstance(item, dg.AssetSpec):
                keys.add(item.key)
    return keys


def _undefined_deps(defs_list: list[dg.Definitions], defined: set[dg.AssetKey]) -> set:
    deps: set[dg.AssetKey] = set()
    for defs in defs_list:
        for item in defs.assets or []:
            if isinstance(item, dg.AssetsDefinition):
                for keys in item.asset_deps.values():
                    deps |= set(keys)
    return deps - defined


def build_definitions(domains: list[str]) -> dg.Definitions:
    """Merge the domains; add landing tables no domain defines as external assets, and a
    placeholder for any other dependency no loaded domain provides."""
    parts = domain_definitions(domains)
    defined = _defined_keys(parts)
    landing = [spec for spec in landing_source_specs() if spec.key not in defined]
    missing = _undefined_deps(parts, defined | {spec.key for spec in landing})
    landing += [
        dg.AssetSpec(
            key, description="Provided by a domain that is not loaded.", group_name="external"
        )
        for key in sorted(missing, key=lambda k: k.to_user_string())
    ]
    all_assets = [item for defs in parts for item in (defs.assets or [])]
    # chDB opens its data path in one process at a time: run steps in-process when embedded.
    embedded = not get_settings().clickhouse_url
    shared = dg.Definitions(
        assets=landing,
        jobs=[daily_job(daily_asset_keys(all_assets)), klarf_import_job],
        schedules=schedules(),
        sensors=[landing_arrivals, klarf_drop_sensor],
        resources=default_resources(),
        executor=dg.in_process_executor if embedded else dg.multiprocess_executor,
    )
    return dg.Definitions.merge(*parts, shared)
