"""Names every domain shares: the warehouse pool, the layer and cadence tags, serial runs, and
`Domain`, the group, owners and kinds every asset of one domain folder carries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import dagster as dg

# chDB opens its data path in one process at a time: every warehouse step is in this pool
WAREHOUSE_POOL = "warehouse"

# orchestration.jobs builds the daily job from this tag (dimensions, facts, the gate)
LAYER_TAG = "fab/layer"

# assets with their own nightly job (plan, forecasts, scoring) stay out of the daily job
CADENCE_TAG = "fab/cadence"
NIGHTLY = "nightly"

# the run queue allows one run with this tag at a time (dagster.yaml)
SERIAL_RUN_TAGS = {"fab/warehouse": "serial"}


def layer(name: str, *, nightly: bool = False) -> dict[str, str]:
    """Asset tags for a table of layer ``name`` (dimension, fact, gate, ...)."""
    return {LAYER_TAG: name, **({CADENCE_TAG: NIGHTLY} if nightly else {})}


@dataclass(frozen=True)
class Domain:
    """What every table of one domain folder shares in the catalog: its group, owners, kinds
    and layer tags. ``spec`` and ``asset`` fill them in, so an asset states only what is its
    own (key, description, deps)."""

    group: str
    owners: tuple[str, ...]
    kinds: frozenset[str]
    tags: Mapping[str, str] = field(default_factory=lambda: layer("fact"))

    def spec(
        self, key: str, description: str, deps: Iterable = (), kinds: Iterable[str] | None = None
    ) -> dg.AssetSpec:
        """The spec of one table a multi-asset writes."""
        return dg.AssetSpec(key, description=description, deps=list(deps), **self._catalog(kinds))

    def asset(
        self,
        name: str,
        description: str,
        *,
        deps: Iterable = (),
        kinds: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        partitions_def: dg.PartitionsDefinition | None = None,
    ):
        """``@dg.asset`` for one warehouse table of this domain (in the warehouse pool)."""
        catalog = self._catalog(kinds)
        if tags is not None:
            catalog["tags"] = dict(tags)
        return dg.asset(
            name=name,
            description=description,
            deps=list(deps),
            pool=WAREHOUSE_POOL,
            partitions_def=partitions_def,
            **catalog,
        )

    def multi_asset(
        self, name: str, specs: list[dg.AssetSpec], partitions_def: dg.PartitionsDefinition
    ):
        """``@dg.multi_asset`` writing this domain's tables ``specs`` (in the warehouse pool)."""
        return dg.multi_asset(
            name=name, specs=specs, partitions_def=partitions_def, pool=WAREHOUSE_POOL
        )

    def _catalog(self, kinds: Iterable[str] | None) -> dict:
        return {
            "group_name": self.group,
            "owners": list(self.owners),
            "kinds": set(self.kinds if kinds is None else kinds),
            "tags": dict(self.tags),
        }


def table_result(key: str, rows: int, **metadata: object) -> dg.MaterializeResult:
    """One written table's materialization: its row count and name, plus ``metadata``."""
    return dg.MaterializeResult(
        asset_key=key,
        metadata={
            "dagster/row_count": dg.MetadataValue.int(int(rows)),
            "table": dg.MetadataValue.text(f"fab.{key}"),
            **metadata,
        },
    )
