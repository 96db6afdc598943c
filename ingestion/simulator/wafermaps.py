"""Wafer maps: defects on a 300 mm wafer drawn from a labelled spatial signature.

Signatures follow the WM-811K classes: none, random, center, donut, edge-ring, edge-loc, loc
(a cluster), scratch, near-full. Each defect gets a size, a type from the plant's defect types,
and for reviewed defects an SEM image reference and an EDX spectrum.
"""

from __future__ import annotations

import json

import numpy as np

from ingestion.plant import PlantSpec

RADIUS_MM = 147.0  # usable radius (3 mm edge exclusion on a 150 mm radius)
SIGNATURES: dict[str, float] = {
    "none": 0.45,
    "random": 0.15,
    "center": 0.07,
    "donut": 0.05,
    "edge-ring": 0.08,
    "edge-loc": 0.07,
    "loc": 0.06,
    "scratch": 0.04,
    "near-full": 0.03,
}
REVIEWED_PER_MAP = 8
# Characteristic X-ray lines (keV) for the EDX spectra.
LINES_KEV = {
    "C": 0.277,
    "N": 0.392,
    "O": 0.525,
    "F": 0.677,
    "Na": 1.041,
    "Al": 1.486,
    "Si": 1.740,
    "W": 1.775,
    "Cl": 2.622,
    "K": 3.313,
    "Ti": 4.511,
    "Cr": 5.415,
    "Fe": 6.404,
    "Ni": 7.478,
    "Cu": 8.048,
}
ELEMENTS_BY_TYPE = {
    "particle": ["Si", "O", "Fe", "Cr"],
    "scratch": ["Si", "O", "Al"],
    "contamination": ["Na", "K", "Cl", "C"],
    "crystal_defect": ["Si"],
    "void": ["Cu", "O"],
    "residue": ["C", "F", "O"],
    "crack": ["Si", "O"],
    "dislocation": ["Si"],
    "stacking_fault": ["Si", "O"],
    "oxide_defect": ["Si", "O", "N"],
}
# Which defect types dominate each signature (falls back to all types).
TYPES_BY_SIGNATURE = {
    "scratch": ["scratch", "crack"],
    "edge-ring": ["residue", "particle", "crack"],
    "edge-loc": ["particle", "contamination"],
    "center": ["residue", "void", "oxide_defect"],
    "donut": ["void", "stacking_fault", "dislocation"],
}


class WaferMapGenerator:
    def __init__(self, plant: PlantSpec, rng: np.random.Generator) -> None:
        self.rng = rng
        self.types = [d.code for d in plant.defect_types]
        self.names = list(SIGNATURES)
        self.weights = np.array(list(SIGNATURES.values())) / sum(SIGNATURES.values())

    def generate(self, inspection_id: str) -> tuple[str, list[tuple]]:
        """(signature, defects as (no, x_mm, y_mm, size_um, type, sem_ref, edx_json))."""
        rng = self.rng
        signature = self.names[int(rng.choice(len(self.names), p=self.weights))]
        x, y = self._points(signature)
        # background: a handful of random defects on every wafer
        bx, by = _uniform_disc(rng, int(rng.poisson(2)))
        x, y = np.concatenate([x, bx]), np.concatenate([y, by])
        keep = x * x + y * y <= RADIUS_MM**2
        x, y = np.round(x[keep], 3), np.round(y[keep], 3)
        n = len(x)
        preferred = [t for t in TYPES_BY_SIGNATURE.get(signature, []) if t in self.types]
        pool = preferred or self.types
        types = [pool[i] for i in rng.integers(len(pool), size=n)]
        # a third of defects on a signature wafer are of other types
        other = rng.random(n) < 0.3
        for i in np.flatnonzero(other):
            types[i] = self.types[int(rng.integers(len(self.types)))]
        sizes = np.round(rng.lognormal(mean=-0.5, sigma=0.8, size=n) + 0.05, 3)
        defects = []
        for i in range(n):
            sem = edx = None
            if i < REVIEWED_PER_MAP:
                sem = f"sem://{inspection_id}/{i + 1}.png"
                edx = json.dumps(self._edx(types[i]), separators=(",", ":"))
            defects.append((i + 1, float(x[i]), float(y[i]), float(sizes[i]), types[i], sem, edx))
        return signature, defects

    def _edx(self, defect_type: str) -> dict:
        elements = ELEMENTS_BY_TYPE.get(defect_type, ["Si", "O"])
        return {"elements": elements, "peaks_kev": [LINES_KEV[e] for e in elements]}

    def _points(self, signature: str) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        if signature == "none":
            return np.empty(0), np.empty(0)
        if signature == "random":
            return _uniform_disc(rng, int(rng.integers(30, 90)))
        if signature == "near-full":
            return _uniform_disc(rng, int(rng.integers(400, 800)))
        if signature == "center":
            n = int(rng.integers(40, 120))
            r = np.abs(rng.normal(0, rng.uniform(15, 35), n))
            return _polar(rng, r, rng.uniform(0, 2 * np.pi, n))
        if signature == "donut":
            n = int(rng.integers(50, 150))
            r = rng.normal(rng.uniform(55, 95), rng.uniform(6, 12), n)
            return _polar(rng, np.abs(r), rng.uniform(0, 2 * np.pi, n))
        if signature == "edge-ring":
            n = int(rng.integers(60, 180))
            r = RADIUS_MM - np.abs(rng.normal(0, 4, n))
            return _polar(rng, r, rng.uniform(0, 2 * np.pi, n))
        if signature == "edge-loc":
            n = int(rng.integers(25, 80))
            r = RADIUS_MM - np.abs(rng.normal(0, 8, n))
            theta = rng.normal(rng.uniform(0, 2 * np.pi), rng.uniform(0.15, 0.4), n)
            return _polar(rng, r, theta)
        if signature == "loc":
            n = int(rng.integers(25, 80))
            cx, cy = _uniform_disc(rng, 1, RADIUS_MM * 0.7)
            spread = rng.uniform(5, 15)
            return cx[0] + rng.normal(0, spread, n), cy[0] + rng.normal(0, spread, n)
        if signature == "scratch":
            n = int(rng.integers(30, 100))
            x0, y0 = _uniform_disc(rng, 1, RADIUS_MM * 0.6)
            angle = rng.uniform(0, np.pi)
            length = rng.uniform(60, 180)
            s = rng.uniform(-length / 2, length / 2, n)
            bend = rng.uniform(-0.002, 0.002) * s**2
            x = x0[0] + s * np.cos(angle) - bend * np.sin(angle) + rng.normal(0, 0.4, n)
            y = y0[0] + s * np.sin(angle) + bend * np.cos(angle) + rng.normal(0, 0.4, n)
            return x, y
        raise ValueError(f"signature: unknown {signature!r}")


def _uniform_disc(
    rng: np.random.Generator, n: int, radius: float = RADIUS_MM
) -> tuple[np.ndarray, np.ndarray]:
    r = radius * np.sqrt(rng.random(n))
    theta = rng.uniform(0, 2 * np.pi, n)
    return r * np.cos(theta), r * np.sin(theta)


def _polar(
    rng: np.random.Generator, r: np.ndarray, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r = np.minimum(r, RADIUS_MM)
    return r * np.cos(theta), r * np.sin(theta)
