"""Dispatch latency: 1,000 waiting lots ranked on the fab50 machines, every rule.

Run: .venv/bin/python -m tests.benchmarks.bench_dispatch [--lots N]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

import numpy as np

from assets.planning.dispatch import RULES, rank_waiting, waiting_frames
from assets.planning.synthetic import fab_data_from_plant, synthetic_lots
from ingestion.plant import load_plant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    plant = load_plant("fab50")
    t0 = datetime(2026, 11, 23, 1, tzinfo=UTC)
    lots = synthetic_lots(plant, args.lots, t0, seed=1)
    lots = [lot.__class__(**{**lot.__dict__, "release": t0}) for lot in lots]  # all waiting
    waiting, machines = waiting_frames(fab_data_from_plant(plant, lots, t0, calendar_days=1))
    figures = {}
    for rule in RULES:
        rank_waiting(waiting, machines, rule)  # warm-up
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            ranked = rank_waiting(waiting, machines, rule)
            times.append(1000 * (time.perf_counter() - t))
        figures[rule] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p99_ms": round(float(np.percentile(times, 99)), 2),
            "rows": ranked.height,
        }
        print(
            f"{rule:5s} {waiting.height} waiting lots x {machines.height} machines -> "
            f"{ranked.height} ranked rows: p50 {figures[rule]['p50_ms']} ms, "
            f"p99 {figures[rule]['p99_ms']} ms"
        )
    worst = max(f["p99_ms"] for f in figures.values())
    print(
        json.dumps(
            {
                "waiting_lots": waiting.height,
                "machines": machines.height,
                "repeat": args.repeat,
                "rules": figures,
                "worst_p99_ms": worst,
                "under_100ms": worst < 100,
            }
        )
    )


if __name__ == "__main__":
    main()
