"""The landing domain's definitions: upkeep assets over the landing zone."""

from __future__ import annotations

import dagster as dg

from assets.landing.assets import landing_sensor_hourly

defs = dg.Definitions(assets=[landing_sensor_hourly])
