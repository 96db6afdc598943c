"""The OEE domain's definitions, merged into the code location by orchestration."""

from __future__ import annotations

import dagster as dg

from assets.oee.assets import dim_oee_target, oee_facts

defs = dg.Definitions(assets=[oee_facts, dim_oee_target])
