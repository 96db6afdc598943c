"""The defects domain's definitions, merged into the code location by orchestration."""

from __future__ import annotations

import dagster as dg

from assets.defects.assets import defect_facts

defs = dg.Definitions(assets=[defect_facts])
