"""OEE targets as data: reference lines for boards and thresholds for alerts (percent)."""

from __future__ import annotations

import polars as pl

TARGETS: list[dict] = [
    {
        "target": "world_class",
        "oee": 85.0,
        "availability": 90.0,
        "performance": 95.0,
        "quality": 99.0,
    },
    {"target": "plant", "oee": 75.0, "availability": 85.0, "performance": 90.0, "quality": 98.0},
]


def targets_frame() -> pl.DataFrame:
    """The targets as a frame (one row per target set)."""
    return pl.DataFrame(TARGETS)


def target(name: str = "plant") -> dict[str, float]:
    """One target set by name."""
    for t in TARGETS:
        if t["target"] == name:
            return {k: v for k, v in t.items() if k != "target"}
    raise KeyError(f"no OEE target named {name!r}")
