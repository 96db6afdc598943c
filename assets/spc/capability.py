"""Process capability: Cp, Cpk (within-subgroup sigma) and Pp, Ppk (overall sigma)."""

from __future__ import annotations

import numpy as np


def capability(
    values: np.ndarray, sigma_within: float, lsl: float | None = None, usl: float | None = None
) -> dict[str, float | None]:
    """Indices for the individual ``values``. One-sided specs give only the k-indices
    (Cpk/Ppk from the side that exists); Cp/Pp need both limits."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    sigma_overall = float(x.std(ddof=1))
    out: dict[str, float | None] = {
        "mean": mean,
        "sigma_within": sigma_within,
        "sigma_overall": sigma_overall,
        "lsl": lsl,
        "usl": usl,
    }
    for prefix, sigma in (("c", sigma_within), ("p", sigma_overall)):
        sides = []
        if usl is not None:
            sides.append((usl - mean) / (3 * sigma))
        if lsl is not None:
            sides.append((mean - lsl) / (3 * sigma))
        both = usl is not None and lsl is not None
        out[f"{prefix.upper()}p"] = (usl - lsl) / (6 * sigma) if both else None
        out[f"{prefix.upper()}pk"] = min(sides) if sides else None
    return out
