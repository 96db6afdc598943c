"""Hand-crafted features of a wafer map (defect x/y in mm): density, radial profile, angular
concentration, clustering and linearity. They separate the WM-811K signature classes."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

WAFER_RADIUS_MM = 150.0
RADIAL_EDGES = np.array([0.0, 0.2, 0.4, 0.55, 0.7, 0.85, 0.93, 1.01])
FEATURE_NAMES = (
    "log_count",
    *[f"radial_{i}" for i in range(len(RADIAL_EDGES) - 1)],
    "r_mean",
    "r_std",
    "r_median",
    "angular_resultant",
    "edge_angular_resultant",
    "cluster_share",
    "cluster_radius",
    "cluster_r",
    "nn_ratio",
    "line_ratio",
    "line_length",
    "curve_residual",
)


def _pca(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sqrt of the covariance eigenvalues (major, minor spread in mm)."""
    if len(x) < 3:
        return 0.0, 0.0
    ev = np.linalg.eigvalsh(np.cov(np.vstack([x, y])))
    return float(np.sqrt(max(ev[1], 0.0))), float(np.sqrt(max(ev[0], 0.0)))


def wafer_features(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Feature vector (FEATURE_NAMES order) of one wafer map."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    out = np.zeros(len(FEATURE_NAMES))
    out[0] = np.log1p(n)
    if n == 0:
        out[-3] = out[-6] = 1.0
        return out
    r = np.hypot(x, y) / WAFER_RADIUS_MM
    theta = np.arctan2(y, x)
    # Share of defects per ring divided by the ring's share of the area: 1 = uniform.
    counts, _ = np.histogram(np.minimum(r, 1.0), RADIAL_EDGES)
    area = np.diff(np.minimum(RADIAL_EDGES, 1.0) ** 2)
    k = 1
    out[k : k + len(area)] = (counts / n) / area
    k += len(area)
    out[k : k + 3] = r.mean(), r.std(), np.median(r)
    k += 3
    out[k] = np.hypot(np.cos(theta).mean(), np.sin(theta).mean())
    edge = r > 0.8
    out[k + 1] = (
        np.hypot(np.cos(theta[edge]).mean(), np.sin(theta[edge]).mean()) if edge.sum() >= 3 else 0.0
    )
    k += 2
    # Clustering: defects with at least 3 neighbours within 12 mm form the dense part.
    tree = cKDTree(np.column_stack([x, y]))
    neighbours = tree.query_ball_point(np.column_stack([x, y]), 12.0, return_length=True) - 1
    dense = neighbours >= 3
    out[k] = dense.mean()
    if dense.sum() >= 3:
        major, minor = _pca(x[dense], y[dense])
        out[k + 1] = np.hypot(major, minor) / WAFER_RADIUS_MM
        out[k + 2] = np.hypot(x[dense].mean(), y[dense].mean()) / WAFER_RADIUS_MM
    k += 3
    if n >= 2:
        d, _ = tree.query(np.column_stack([x, y]), k=2)
        expected = 0.5 / np.sqrt(n / (np.pi * WAFER_RADIUS_MM**2))
        out[k] = np.median(d[:, 1]) / expected
    else:
        out[k] = 1.0
    k += 1
    # Linearity of the dense part: scratches are long and thin.
    if dense.sum() >= 5:
        major, minor = _pca(x[dense], y[dense])
        out[k] = minor / max(major, 1e-9)
        out[k + 1] = major / WAFER_RADIUS_MM
        out[k + 2] = _curve_residual(x[dense], y[dense]) / max(major, 1e-9)
    else:
        out[k] = 1.0
    return out


def _curve_residual(x: np.ndarray, y: np.ndarray) -> float:
    """RMS distance (mm) of points from a parabola fitted along their major axis: a scratch,
    straight or bent, stays within a millimetre or two; a blob or ring does not."""
    pts = np.column_stack([x - x.mean(), y - y.mean()])
    _, vecs = np.linalg.eigh(np.cov(pts.T))
    u, v = pts @ vecs[:, 1], pts @ vecs[:, 0]
    coef = np.polyfit(u, v, 2)
    return float(np.sqrt(np.mean((v - np.polyval(coef, u)) ** 2)))


def features_matrix(maps: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Stack the features of many maps."""
    return (
        np.vstack([wafer_features(x, y) for x, y in maps])
        if maps
        else np.zeros((0, len(FEATURE_NAMES)))
    )
