"""The warehouse domain's definitions, merged into the code location by orchestration.

Landing tables are external assets; orchestration adds them (group `landing`) unless another
domain, such as dbt sources, already defines the same keys.
"""

from __future__ import annotations

import dagster as dg

from assets.warehouse.assets import dimension_assets, fact_assets

defs = dg.Definitions(assets=[*dimension_assets(), *fact_assets()])
