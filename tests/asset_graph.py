"""The code location's asset graph as plain data, and its committed snapshot.

`python -m tests.asset_graph --update` rewrites tests/asset_graph.json after a deliberate
change to lineage; tests/integration/test_asset_graph.py fails on any other change.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import dagster as dg

SNAPSHOT = Path(__file__).with_name("asset_graph.json")


def _partitions(node: Any) -> str | None:
    p = node.partitions_def
    if p is None:
        return None
    if isinstance(p, dg.DailyPartitionsDefinition):
        return f"daily from {p.start.date().isoformat()} ({p.timezone})"
    return type(p).__name__


def describe(defs: dg.Definitions) -> dict[str, Any]:
    """Every asset with its group, partitions, upstream keys and checks; every job's assets."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "executable": node.is_executable,
            "partitions": _partitions(node),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
        }
    jobs = {}
    for job in defs.get_repository_def().get_all_jobs():
        if job.name.startswith("__"):
            continue
        jobs[job.name] = sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys)
    return {"assets": assets, "jobs": jobs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--update", action="store_true", help="rewrite the snapshot")
    args = parser.parse_args()
    from orchestration.definitions import defs

    current = json.dumps(describe(defs), indent=1, sort_keys=True) + "\n"
    if args.update:
        SNAPSHOT.write_text(current)
        print(f"wrote {SNAPSHOT}")
    else:
        print(current)


if __name__ == "__main__":
    main()
