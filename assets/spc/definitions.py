"""The SPC domain's definitions, merged into the code location by orchestration."""

from __future__ import annotations

import dagster as dg

from assets.spc.assets import alert_job, spc_facts, spc_limits, spc_oee_alerts

defs = dg.Definitions(assets=[spc_limits, spc_facts], jobs=[alert_job], sensors=[spc_oee_alerts])
