"""A labelled wafer-map generator of our own: training data for the signature classifier and
fixtures for tests. Classes follow WM-811K; every map also gets a few random background
defects, as real inspections do. Parameters are drawn from wide ranges on purpose."""

from __future__ import annotations

import numpy as np

SIGNATURE_CLASSES = (
    "none",
    "random",
    "center",
    "donut",
    "edge-ring",
    "edge-loc",
    "loc",
    "scratch",
    "near-full",
)
USABLE_RADIUS_MM = 147.0


def _disc(rng: np.random.Generator, n: int, radius: float = USABLE_RADIUS_MM):
    r = radius * np.sqrt(rng.random(n))
    t = rng.uniform(0, 2 * np.pi, n)
    return r * np.cos(t), r * np.sin(t)


def _polar(r: np.ndarray, t: np.ndarray):
    return r * np.cos(t), r * np.sin(t)


def synthetic_map(signature: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Defect coordinates (mm) of one wafer with the given signature."""
    R = USABLE_RADIUS_MM  # noqa: N806
    if signature == "none":
        x, y = np.empty(0), np.empty(0)
    elif signature == "random":
        x, y = _disc(rng, int(rng.integers(20, 120)))
    elif signature == "near-full":
        x, y = _disc(rng, int(rng.integers(300, 1000)))
    elif signature == "center":
        n, s = int(rng.integers(30, 150)), rng.uniform(10, 40)
        off = rng.normal(0, 5, 2)
        x, y = off[0] + rng.normal(0, s, n), off[1] + rng.normal(0, s, n)
    elif signature == "donut":
        n = int(rng.integers(40, 180))
        r = rng.normal(rng.uniform(45, 105), rng.uniform(4, 14), n)
        x, y = _polar(np.abs(r), rng.uniform(0, 2 * np.pi, n))
    elif signature == "edge-ring":
        n = int(rng.integers(50, 200))
        x, y = _polar(R - np.abs(rng.normal(0, rng.uniform(2, 7), n)), rng.uniform(0, 2 * np.pi, n))
    elif signature == "edge-loc":
        n = int(rng.integers(20, 100))
        t = rng.normal(rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.5), n)
        x, y = _polar(R - np.abs(rng.normal(0, rng.uniform(3, 12), n)), t)
    elif signature == "loc":
        n, s = int(rng.integers(20, 100)), rng.uniform(4, 18)
        c = _polar(np.array([rng.uniform(0.1, 0.75) * R]), np.array([rng.uniform(0, 2 * np.pi)]))
        x, y = c[0][0] + rng.normal(0, s, n), c[1][0] + rng.normal(0, s, n)
    elif signature == "scratch":
        n = int(rng.integers(25, 120))
        x0, y0 = _disc(rng, 1, 0.6 * R)
        a, length = rng.uniform(0, np.pi), rng.uniform(40, 200)
        s = rng.uniform(-length / 2, length / 2, n)
        bend = rng.uniform(-0.003, 0.003) * s**2
        w = rng.uniform(0.2, 1.0)
        x = x0[0] + s * np.cos(a) - bend * np.sin(a) + rng.normal(0, w, n)
        y = y0[0] + s * np.sin(a) + bend * np.cos(a) + rng.normal(0, w, n)
    else:
        raise ValueError(f"unknown signature {signature!r}")
    bx, by = _disc(rng, int(rng.poisson(rng.uniform(0, 4))))
    x, y = np.concatenate([x, bx]), np.concatenate([y, by])
    keep = np.hypot(x, y) <= R
    return x[keep], y[keep]


def synthetic_set(
    per_class: int, seed: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    """``per_class`` maps of every class, shuffled, with their labels."""
    rng = np.random.default_rng(seed)
    labels = [c for c in SIGNATURE_CLASSES for _ in range(per_class)]
    rng.shuffle(labels)
    return [synthetic_map(lab, rng) for lab in labels], labels
