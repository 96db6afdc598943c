"""The nightly plan at fab50 size: ~400 lots in process on 50 machines, default 60 s limit
covering the whole plan (problem build, bounds, greedy start and both solve phases).

Lots come from the fab50 plant file (random product, current step, size, priority, 5 % hot,
due in 0.5-3 days), calendars from its shifts; every step may use every machine of its type.
Prints status, both objectives with their own bounds and gaps (weighted tardiness: capacity
relaxation; makespan: calendar-aware job path and machine-group load), KPIs and whether the
checker passes. ``--det-time D`` gives a deterministic budget whose figures repeat under load.
Run: .venv/bin/python -m tests.benchmarks.bench_plan_fab50 [--lots N] [--time-limit S]
[--det-time D] [--max-alternatives K]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from assets.planning.greedy import greedy_schedule
from assets.planning.model import weighted_tardiness
from assets.planning.nightly import PlanRunOptions, plan_fab
from assets.planning.synthetic import fab_data_from_plant, synthetic_lots
from ingestion.plant import load_plant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--max-alternatives",
        type=int,
        default=None,
        help="default: every eligible machine; K = at most K per step (rotated by lot)",
    )
    parser.add_argument("--det-time", type=float, default=None)
    args = parser.parse_args()
    plant = load_plant("fab50")
    t0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 02:00 Berlin, the nightly run
    data = fab_data_from_plant(
        plant, synthetic_lots(plant, args.lots, t0, seed=7), t0, calendar_days=7
    )
    began = time.perf_counter()
    outcome = plan_fab(
        data,
        PlanRunOptions(
            time_limit_s=args.time_limit,
            workers=args.workers,
            max_alternatives=args.max_alternatives,
            deterministic_time=args.det_time,
        ),
    )
    wall = time.perf_counter() - began
    greedy = greedy_schedule(outcome.problem)
    s = outcome.summary()
    print(
        f"lots {s['lots']} operations {s['operations']} status {s['status']} "
        f"({s['source']}) makespan {s['makespan_min']} min bound {s['makespan_bound']} "
        f"gap {100 * (s['gap'] or 0):.1f} % tardiness bound {s['tardiness_bound']} "
        f"weighted tardiness {s['weighted_tardiness']} (greedy start "
        f"{weighted_tardiness(outcome.problem, greedy)}) on time {s['on_time_lots']}/"
        f"{s['lots']} bottleneck {s['bottleneck']} violations {s['violations']} "
        f"wall {wall:.1f} s"
    )
    print(
        json.dumps(
            {
                "plant": "fab50",
                "lots": s["lots"],
                "operations": s["operations"],
                "machines": len(outcome.problem.machines),
                "time_limit_s": args.time_limit,
                "workers": args.workers,
                "status": s["status"],
                "source": s["source"],
                "gap_pct": round(100 * (s["gap"] or 0), 2),
                "makespan_bound": s["makespan_bound"],
                "tardiness_bound": s["tardiness_bound"],
                "tardiness_gap_pct": None
                if s["tardiness_gap"] is None
                else round(100 * s["tardiness_gap"], 2),
                "makespan_min": s["makespan_min"],
                "weighted_tardiness": s["weighted_tardiness"],
                "greedy_weighted_tardiness": weighted_tardiness(outcome.problem, greedy),
                "on_time_lots": s["on_time_lots"],
                "bottleneck": s["bottleneck"],
                "checker_violations": s["violations"],
                "wall_s": round(wall, 2),
                "det_time": args.det_time,
                "max_alternatives": args.max_alternatives or "all",
            }
        )
    )


if __name__ == "__main__":
    main()
