"""Dispatch rules: each rule's order on a hand-made queue, and the TOC score."""

from __future__ import annotations

import polars as pl
import pytest

from assets.planning.dispatch import rank_waiting, waiting_frames
from fabstack.errors import FabError

LOTS = pl.DataFrame(
    {
        # lot: due (min from now), priority, hot, this step's minutes, remaining minutes
        "lot_id": ["A", "B", "C", "D", "E"],
        "machine_type": ["ETCH", "ETCH", "ETCH", "ETCH", "CMP"],
        "due_min": [300.0, 100.0, 600.0, 200.0, 50.0],
        "priority": [3, 3, 1, 5, 2],
        "hot_lot": [False, False, False, True, False],
        "process_min": [40.0, 20.0, 10.0, 30.0, 5.0],
        "remaining_min": [100.0, 90.0, 20.0, 150.0, 5.0],
    }
)
MACHINES = pl.DataFrame(
    {
        "machine_id": ["ETCH-01", "ETCH-02", "CMP-01"],
        "machine_type": ["ETCH", "ETCH", "CMP"],
        "efficiency": [0.95, 0.8, 1.0],
        "status": ["RUNNING", "DOWN", "IDLE"],
    }
)


def _order(rule: str, machine: str = "ETCH-01") -> list[str]:
    ranked = rank_waiting(LOTS, MACHINES, rule)
    rows = ranked.filter(pl.col("machine_id") == machine).sort("rank")
    assert rows["rank"].to_list() == list(range(1, len(rows) + 1))
    return rows["lot_id"].to_list()


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("edd", ["B", "D", "A", "C"]),
        ("spt", ["C", "B", "D", "A"]),
        ("cr", ["B", "D", "A", "C"]),  # 100/90=1.1, 200/150=1.3, 300/100=3, 600/20=30
        ("slack", ["B", "D", "A", "C"]),  # 10, 50, 200, 580
        ("toc", ["D", "C", "B", "A"]),  # hot first, then priority 1, then 3 (due breaks the tie)
    ],
)
def test_rule_orders(rule: str, expected: list[str]) -> None:
    assert _order(rule) == expected


def test_every_lot_is_ranked_on_every_machine_of_its_type() -> None:
    ranked = rank_waiting(LOTS, MACHINES, "edd")
    assert ranked.height == 4 * 2 + 1
    assert _order("edd", "CMP-01") == ["E"]


def test_toc_score_uses_efficiency_status_and_queue_depth() -> None:
    ranked = rank_waiting(LOTS, MACHINES, "toc")
    score = {
        m: ranked.filter(pl.col("machine_id") == m)["score"][0] for m in MACHINES["machine_id"]
    }
    assert score["ETCH-01"] == pytest.approx(0.95 * 1.0 / (1 + 0.1 * 4), abs=1e-4)
    assert score["ETCH-02"] == 0.0  # down
    assert score["CMP-01"] == pytest.approx(1.0 / 1.1, abs=1e-4)


def test_unknown_rule_and_missing_columns_are_errors() -> None:
    with pytest.raises(FabError, match="unknown dispatch rule 'fifo'"):
        rank_waiting(LOTS, MACHINES, "fifo")
    with pytest.raises(FabError, match="missing column"):
        rank_waiting(LOTS.drop("due_min"), MACHINES, "edd")


def test_empty_queue() -> None:
    assert rank_waiting(LOTS.head(0), MACHINES, "toc").is_empty()


def test_waiting_frames_from_fab_data() -> None:
    from datetime import UTC, datetime

    from assets.planning.synthetic import fab_data_from_plant, synthetic_lots
    from ingestion.plant import load_plant

    plant = load_plant("demo")
    t0 = datetime(2026, 11, 21, 5, tzinfo=UTC)
    data = fab_data_from_plant(plant, synthetic_lots(plant, 50, t0, seed=2), t0)
    lots, machines = waiting_frames(data)
    assert 0 < lots.height <= 50 and machines.height == 10
    assert (lots["remaining_min"] >= lots["process_min"]).all()
    ranked = rank_waiting(lots, machines, "toc")
    assert set(ranked["lot_id"]) == set(lots["lot_id"])
