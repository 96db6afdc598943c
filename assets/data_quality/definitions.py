"""The data-quality domain's definitions, merged into the code location by orchestration.

Needs the ``landing`` resource (assets.resources.LandingResource).
"""

import dagster as dg

from assets.data_quality.checks import landing_partition

defs = dg.Definitions(assets=[landing_partition])
