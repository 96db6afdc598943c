"""The dbt domain's definitions, merged into the code location by orchestration.

Resources ``dbt`` (DbtCliResource over dbt/) and ``landing`` come from
assets.resources.default_resources().
"""

from __future__ import annotations

import dagster as dg

from assets.dbt.assets import dbt_staging

defs = dg.Definitions(assets=[dbt_staging])
