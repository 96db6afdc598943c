"""Wafer sort in the simulator: one bin map per finished wafer, consistent with its defects.

An inspected wafer's killer defects (size >= ``KILLER_SIZE_UM``) fail the die they sit on, so
its signature shows in the bin map; a wafer that was not inspected gets a signature map drawn
from the same generator. On top, dies fail at random with the Poisson yield of a baseline
defect density. Its own random stream: adding sort does not change any other simulated event.
"""

from __future__ import annotations

import math

import numpy as np

from ingestion.plant import PlantSpec
from ingestion.simulator.wafermaps import WaferMapGenerator
from ingestion.sort.wafer_maps import FAIL, PASS, rasterize_defects

KILLER_SIZE_UM = 0.5
BASELINE_D0_PER_CM2 = 0.08
TEST_PROGRAM = "SORT"


class SortMapper:
    def __init__(self, plant: PlantSpec, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 14])
        self.maps = WaferMapGenerator(plant, self.rng)
        self.products = {p.id: p for p in plant.products}

    def bin_map(
        self, product_id: str, wafer_id: str, inspected: tuple[str, list[tuple]] | None
    ) -> tuple[str, np.ndarray] | None:
        """(signature, bins 0/1/2) of a finished wafer, or None if its product has no grid."""
        product = self.products.get(product_id)
        if product is None or product.die_grid is None:
            return None
        grid = product.die_grid
        signature, defects = inspected if inspected else self.maps.generate(f"sort-{wafer_id}")
        xy = np.array([(d[1], d[2]) for d in defects if d[3] >= KILLER_SIZE_UM]).reshape(-1, 2)
        bins = rasterize_defects(
            xy[:, 0],
            xy[:, 1],
            wafer_diameter_mm=grid.wafer_diameter_mm,
            die_pitch_mm=grid.die_pitch_mm,
            edge_exclusion_mm=grid.edge_exclusion_mm,
            shape=grid.map_shape,
        )
        p_fail = 1 - math.exp(-BASELINE_D0_PER_CM2 * product.die_area_mm2 / 100)
        background = (bins == PASS) & (self.rng.random(bins.shape) < p_fail)
        bins[background] = FAIL
        return signature, bins
