"""Names every domain shares: the warehouse pool, the layer and cadence tags, serial runs."""

from __future__ import annotations

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
