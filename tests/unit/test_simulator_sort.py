"""Simulated wafer sort: killer defects fail their die, the signature is the inspection's,
maps follow the product's die grid, and a seed gives the same maps."""

from __future__ import annotations

import numpy as np

from ingestion.plant import load_plant
from ingestion.simulator.model import FabModel
from ingestion.simulator.sort import KILLER_SIZE_UM, SortMapper
from ingestion.sort.wafer_maps import FAIL, NO_DIE, PASS
from tests.unit.test_simulator_model import DAY, ORIGIN


def test_killer_defects_fail_their_die_and_keep_the_signature() -> None:
    plant = load_plant("demo")
    mapper = SortMapper(plant, seed=1)
    killer = (1, 6.0, 6.0, KILLER_SIZE_UM + 0.5, "particle", None, None)
    harmless = (2, -60.0, 40.0, KILLER_SIZE_UM / 2, "particle", None, None)
    signature, bins = mapper.bin_map("LOGIC-A", "W1", ("loc", [killer, harmless]))
    assert signature == "loc"
    assert bins.shape == (29, 29)  # the product's map_shape
    # 10.4 mm pitch, 29 dies centred on the wafer: x 6 mm -> column 15, y 6 mm -> row 13.
    assert bins[13, 15] == FAIL
    assert bins[0, 0] == NO_DIE and (bins == PASS).sum() > 500
    again = SortMapper(plant, seed=1).bin_map("LOGIC-A", "W1", ("loc", [killer, harmless]))
    assert again is not None and np.array_equal(again[1], bins)


def test_every_finished_wafer_is_sorted_with_its_truth() -> None:
    model = FabModel(load_plant("demo"), 5, ORIGIN, horizon=ORIGIN + 3 * DAY)
    model.advance(ORIGIN + 2 * DAY)
    sorted_maps = model.drain_sort()
    assert sorted_maps, "two days finish some lots"
    truth = {w: (sig, failed) for w, _ts, sig, failed in model.truth["sort_map"]}
    for _ts, _lot, wafer, product, signature, bins in sorted_maps:
        assert truth[wafer] == (signature, int((bins == FAIL).sum()))
        assert (
            bins.shape == tuple(model.plant.products[0].die_grid.map_shape) or product != "LOGIC-A"
        )
    assert model.drain_sort() == []
