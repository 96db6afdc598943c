"""The planning domain's definitions: the plan asset, merged into the code location."""

from __future__ import annotations

import dagster as dg

from assets.planning.assets import plan_schedule

defs = dg.Definitions(assets=[plan_schedule])
