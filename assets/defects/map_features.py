"""Features of die bin maps, vectorized over a batch: every map is resampled to one fixed grid
(fail share per cell), then densities over rings and sectors, Radon projections (Wu, Jang and
Chen 2015) and the geometry of the largest failing region are computed for all maps at once.

No Python loop runs per die; the only per-map loop is resampling, one fancy index per shape
group. Works on the bin maps of ``wafer_maps`` (0 no die, 1 pass, 2 fail).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from scipy import ndimage

GRID = 40
RING_EDGES = np.array([0.0, 0.15, 0.3, 0.45, 0.6, 0.72, 0.82, 0.9, 0.96, 1.5])
SECTORS = 8
RADON_ANGLES = 12
RADON_BINS = 20
COARSE = 6


def resample(maps: Sequence[np.ndarray], grid: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    """(fail share, die share) per cell of a ``grid`` x ``grid`` raster, shapes (n, grid, grid).
    Maps of one shape are stacked and block-averaged together (upsampled by repetition first
    when smaller than the grid)."""
    n = len(maps)
    fail = np.zeros((n, grid, grid), np.float32)
    dies = np.zeros((n, grid, grid), np.float32)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, m in enumerate(maps):
        groups.setdefault(m.shape, []).append(i)
    for (rows, cols), idx in groups.items():
        stack = np.stack([maps[i] for i in idx])
        kr, kc = -(-grid // rows), -(-grid // cols)  # ceil: repeat until at least grid
        if kr > 1 or kc > 1:
            stack = stack.repeat(kr, axis=1).repeat(kc, axis=2)
        r, c = stack.shape[1:]
        tr = (np.arange(r) * grid // r).astype(np.intp)
        tc = (np.arange(c) * grid // c).astype(np.intp)
        cell = (tr[:, None] * grid + tc[None, :]).ravel()
        per_cell = np.bincount(cell, minlength=grid * grid).astype(np.float32)
        k = len(idx)
        flat = stack.reshape(k, r * c)
        target = (np.arange(k)[:, None] * (grid * grid) + cell[None, :]).ravel()
        size = k * grid * grid
        present = np.bincount(target, (flat != 0).ravel(), minlength=size)
        failed = np.bincount(target, (flat == 2).ravel(), minlength=size)
        dies[idx] = (present.reshape(k, grid * grid) / per_cell).reshape(k, grid, grid)
        fail[idx] = (failed.reshape(k, grid * grid) / per_cell).reshape(k, grid, grid)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(dies > 0, fail / np.maximum(dies, 1e-9), 0.0).astype(np.float32)
    return share, dies


@cache
def _geometry(grid: int = GRID):
    """Fixed per-grid tables: cell radius and angle, ring and sector one-hots, Radon matrix."""
    centre = (np.arange(grid) + 0.5) / grid * 2 - 1
    y, x = np.meshgrid(-centre, centre, indexing="ij")
    r = np.hypot(x, y).ravel()
    theta = np.arctan2(y, x).ravel()
    ring = np.digitize(r, RING_EDGES) - 1
    rings = np.eye(len(RING_EDGES) - 1, dtype=np.float32)[ring]
    sector = ((theta + np.pi) / (2 * np.pi) * SECTORS).astype(int) % SECTORS
    outer = r >= 0.6
    sectors = np.zeros((grid * grid, 2 * SECTORS), np.float32)
    sectors[np.arange(grid * grid), sector + SECTORS * outer] = 1.0
    angles = np.linspace(0, np.pi, RADON_ANGLES, endpoint=False)
    s = x.ravel()[:, None] * np.cos(angles) + y.ravel()[:, None] * np.sin(angles)
    sbin = np.clip(((s + 1.42) / 2.84 * RADON_BINS).astype(int), 0, RADON_BINS - 1)
    radon = np.zeros((grid * grid, RADON_ANGLES * RADON_BINS), np.float32)
    for a in range(RADON_ANGLES):
        radon[np.arange(grid * grid), a * RADON_BINS + sbin[:, a]] = 1.0
    k = grid // COARSE
    coarse_idx = np.minimum(np.arange(grid) // k, COARSE - 1)
    coarse = np.zeros((grid * grid, COARSE * COARSE), np.float32)
    coarse[np.arange(grid * grid), (coarse_idx[:, None] * COARSE + coarse_idx[None, :]).ravel()] = 1
    return {
        "x": x.ravel().astype(np.float32),
        "y": y.ravel().astype(np.float32),
        "r": r.astype(np.float32),
        "rings": rings,
        "sectors": sectors,
        "radon": radon,
        "coarse": coarse,
    }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return num / np.maximum(den, 1e-6)


def _components(mask: np.ndarray, g: dict) -> np.ndarray:
    """Geometry of the largest connected region of ``mask`` (n, grid, grid) in every map:
    area share, centroid radius, mean/min/max radius, elongation, major axis, fill of its
    bounding circle and angular spread; zeros where a map has none."""
    n, grid, _ = mask.shape
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = True  # 8-connected inside a map, never across maps
    labels, count = ndimage.label(mask, structure=structure)
    out = np.zeros((n, 10), np.float32)
    if count == 0:
        return out
    flat = labels.reshape(n, -1)
    lab = flat.ravel()
    on = lab > 0
    lab_on = lab[on]
    cells = np.tile(np.arange(grid * grid), n)[on]
    size = np.bincount(lab_on, minlength=count + 1).astype(np.float64)
    owner = np.zeros(count + 1, np.intp)
    owner[lab_on] = np.repeat(np.arange(n), on.reshape(n, -1).sum(1))
    # Largest label per map: sort labels by (map, size) and keep the last of each map.
    order = np.lexsort((size[1:], owner[1:])) + 1
    last = np.r_[owner[order][1:] != owner[order][:-1], True]
    best = np.zeros(n, np.intp)
    best[owner[order][last]] = order[last]
    has = best > 0
    keep = best[owner[lab_on]] == lab_on
    m_idx = owner[lab_on][keep]
    x, y, r = g["x"][cells[keep]], g["y"][cells[keep]], g["r"][cells[keep]]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(m_idx, values, minlength=n)

    a = total(np.ones_like(x))
    safe = np.maximum(a, 1)
    mx, my = total(x) / safe, total(y) / safe
    cxx = total(x * x) / safe - mx**2
    cyy = total(y * y) / safe - my**2
    cxy = total(x * y) / safe - mx * my
    half = (cxx + cyy) / 2
    root = np.sqrt(np.maximum(((cxx - cyy) / 2) ** 2 + cxy**2, 0))
    major, minor = np.sqrt(np.maximum(half + root, 0)), np.sqrt(np.maximum(half - root, 0))
    rmin = np.full(n, 2.0)
    np.minimum.at(rmin, m_idx, r)
    rmax = np.zeros(n)
    np.maximum.at(rmax, m_idx, r)
    cell_area = (2.0 / grid) ** 2
    # Angular spread: 1 - length of the mean unit vector of the region's cells about the centre.
    th = np.arctan2(y, x)
    resultant = np.hypot(total(np.cos(th)), total(np.sin(th))) / safe
    out[:, 0] = a * cell_area / np.pi
    out[:, 1] = np.hypot(mx, my)
    out[:, 2] = total(r) / safe
    out[:, 3] = np.where(has, rmin, 0)
    out[:, 4] = rmax
    out[:, 5] = _ratio(minor, major + 1e-6) * has
    out[:, 6] = major
    out[:, 7] = _ratio(a * cell_area, np.pi * (2 * major) ** 2 + cell_area) * has
    out[:, 8] = (1 - resultant) * has
    out[:, 9] = np.bincount(owner[1:][size[1:] >= 3], minlength=n)[:n]
    out[~has] = 0
    return out


FEATURE_GROUPS = (
    ("global", 4),
    ("rings", len(RING_EDGES) - 1),
    ("sectors", 2 * SECTORS + 6),
    ("radon", 2 * RADON_ANGLES + 4),
    ("dense_region", 10),
    ("line_region", 10),
    ("coarse", COARSE * COARSE),
)
FEATURE_NAMES = tuple(f"{name}_{i}" for name, width in FEATURE_GROUPS for i in range(width))


def features(maps: Sequence[np.ndarray], grid: int = GRID) -> np.ndarray:
    """Feature matrix (n, len(FEATURE_NAMES)) of die bin maps."""
    n = len(maps)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32)
    g = _geometry(grid)
    share, dies = resample(maps, grid)
    wafer = (dies > 0.5).reshape(n, -1).astype(np.float32)
    f = (share.reshape(n, -1) * wafer).astype(np.float32)
    fails = np.array([(m == 2).sum() for m in maps], np.float32)
    die_count = np.array([(m != 0).sum() for m in maps], np.float32)
    rate = _ratio(fails, die_count)
    parts = [np.column_stack([rate, np.log1p(die_count), np.log1p(fails), rate**2])]
    parts.append(_ratio(f @ g["rings"], wafer @ g["rings"]))
    sec = _ratio(f @ g["sectors"], wafer @ g["sectors"])
    inner, outer = np.sort(sec[:, :SECTORS], 1), np.sort(sec[:, SECTORS:], 1)
    spread = np.column_stack(
        [
            inner[:, -1] - inner[:, SECTORS // 2],
            outer[:, -1] - outer[:, SECTORS // 2],
            inner.std(1),
            outer.std(1),
            outer[:, -1] - outer[:, 0],
            inner[:, -1] - inner[:, 0],
        ]
    )
    parts += [inner, outer, spread]
    # Radon: fail share per projection line; a scratch is one sharp peak at one angle.
    proj = _ratio(f @ g["radon"], wafer @ g["radon"]).reshape(n, RADON_ANGLES, RADON_BINS)
    valid = (wafer @ g["radon"]).reshape(n, RADON_ANGLES, RADON_BINS) >= 3
    proj = np.where(valid, proj, 0)
    peak = proj.max(2) - np.median(proj, 2)
    std = proj.std(2)
    parts += [np.sort(peak, 1), np.sort(std, 1)]
    parts.append(
        np.column_stack(
            [
                peak.max(1) - peak.min(1),
                peak.max(1) - np.median(peak, 1),
                std.max(1) - std.min(1),
                std.mean(1),
            ]
        )
    )
    fail_grid = f.reshape(n, grid, grid)
    # Dense region: majority of a 3x3 neighbourhood fails (wipes out random background).
    smooth = ndimage.uniform_filter(fail_grid, size=(1, 3, 3), mode="constant")
    parts.append(_components((smooth > 0.45) & (wafer.reshape(n, grid, grid) > 0), g))
    # Line region: failing cells with at least two failing neighbours (keeps thin scratches).
    hard = fail_grid > 0.5
    neighbours = (
        ndimage.uniform_filter(hard.astype(np.float32), size=(1, 3, 3), mode="constant") * 9 - hard
    )
    parts.append(_components(hard & (neighbours >= 1.5) & (neighbours <= 5.5), g))
    parts.append(_ratio(f @ g["coarse"], wafer @ g["coarse"]))
    return np.nan_to_num(np.hstack(parts).astype(np.float32))
