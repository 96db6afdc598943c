"""The asset graph matches its committed snapshot, so a change to lineage is a deliberate one."""

from __future__ import annotations

import json


def test_asset_graph_matches_the_snapshot() -> None:
    from orchestration.definitions import defs
    from tests.asset_graph import SNAPSHOT, describe

    expected = json.loads(SNAPSHOT.read_text())
    current = json.loads(json.dumps(describe(defs)))
    changed = sorted(
        name
        for name in set(expected["assets"]) | set(current["assets"])
        if expected["assets"].get(name) != current["assets"].get(name)
    )
    assert not changed, (
        f"asset graph changed for {changed[:10]}: if deliberate, run "
        "`.venv/bin/python -m tests.asset_graph --update` and commit tests/asset_graph.json"
    )
    assert expected["jobs"] == current["jobs"]
