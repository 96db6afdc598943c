"""JSPLIB benchmark with the fab's CP-SAT model, beside a plain job-shop model (`_planning.py`).

Default: ft06, ft10, ft20, la01-la20 (``--hard``: la21-la40) at a wall time limit
(conformance: time to the proven optimum). With ``--det-time D`` both models get the same
deterministic budget, seed and worker count, so the figures repeat under any machine load;
the summary gives each model's geometric mean gap to the published optimum.
Run: .venv/bin/python -m tests.benchmarks.bench_jsplib [--time-limit S | --det-time D]
[--workers W] [--seed S] [--hard | --only la21 ...] [--no-plain]
"""

from __future__ import annotations

import argparse
import json
import math
import os

from assets.planning.checker import check_schedule
from assets.planning.jsp import jsp_problem, parse_jsp
from assets.planning.model import SolveOptions, solve
from tests.benchmarks._planning import REFERENCE, gap_pct, solve_plain

JSPLIB = REFERENCE / "jsplib"
INSTANCES = ["ft06", "ft10", "ft20"] + [f"la{i:02d}" for i in range(1, 21)]
HARD = [f"la{i:02d}" for i in range(21, 41)]  # the target set: --hard


def geometric_mean_gap_pct(rows: list[dict], key: str) -> float:
    """Geometric mean of makespan / optimum, minus one, in percent."""
    logs = [math.log(r[key] / r["optimum"]) for r in rows]
    return round(100 * (math.exp(sum(logs) / len(logs)) - 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--det-time", type=float, default=None, help="deterministic budget")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--hard", action="store_true", help="la21-la40 instead of the default")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain model")
    args = parser.parse_args()
    optima = json.loads((JSPLIB / "optima.json").read_text())
    wall = args.time_limit if args.det_time is None else 3600.0  # det. budget binds
    rows = []
    for name in args.only or (HARD if args.hard else INSTANCES):
        problem = jsp_problem(parse_jsp(JSPLIB / f"{name}.txt"))
        result = solve(
            problem,
            SolveOptions(
                time_limit_s=wall,
                workers=args.workers,
                seed=args.seed,
                deterministic_time=args.det_time,
            ),
        )
        optimum = optima[name]["optimum"]
        assert result.makespan is not None and result.makespan >= optimum, name
        assert result.makespan_bound <= optimum, name
        assert not check_schedule(problem, result.slots), name
        row = {
            "instance": name,
            "status": result.status,
            "makespan": result.makespan,
            "optimum": optimum,
            "best_bound": result.makespan_bound,
            "time_s": round(result.solve_time_s, 2),
            "det_time": round(result.deterministic_time, 2),
            "gap_to_optimum_pct": gap_pct(result.makespan, optimum),
            "solver_gap_pct": round(100 * (result.gap or 0), 2),
        }
        line = (
            f"{name:5s} {row['status']:8s} makespan {row['makespan']:5d} optimum {optimum:5d} "
            f"bound {row['best_bound']:7.0f} time {row['time_s']:6.2f} s "
            f"gap-to-opt {row['gap_to_optimum_pct']:5.2f} %"
        )
        if not args.no_plain:
            budget = args.det_time if args.det_time is not None else result.deterministic_time
            plain = solve_plain(problem, budget, args.workers, args.seed)
            row |= {
                "plain_makespan": plain.makespan,
                "plain_bound": plain.bound,
                "plain_gap_to_optimum_pct": gap_pct(plain.makespan, optimum),
            }
            line += f" | plain {plain.makespan} bound {plain.bound:.0f}"
        rows.append(row)
        print(line, flush=True)
    proven = [r for r in rows if r["status"] == "OPTIMAL"]
    summary = {
        "instances": len(rows),
        "proven_optimal": len(proven),
        "at_published_optimum": sum(r["makespan"] == r["optimum"] for r in rows),
        "time_limit_s": args.time_limit if args.det_time is None else None,
        "det_time": args.det_time,
        "workers": args.workers,
        "seed": args.seed,
        "cpu_count": os.cpu_count(),
        "total_time_s": round(sum(r["time_s"] for r in rows), 2),
        "max_gap_to_optimum_pct": max(r["gap_to_optimum_pct"] for r in rows),
        "geomean_gap_pct_fab": geometric_mean_gap_pct(rows, "makespan"),
        "not_proven": {
            r["instance"]: {
                "makespan": r["makespan"],
                "bound": r["best_bound"],
                "gap_to_optimum_pct": r["gap_to_optimum_pct"],
            }
            for r in rows
            if r["status"] != "OPTIMAL"
        },
        "time_to_optimal_s": {r["instance"]: r["time_s"] for r in proven},
    }
    if not args.no_plain and all(r["plain_makespan"] for r in rows):
        summary["geomean_gap_pct_plain"] = geometric_mean_gap_pct(rows, "plain_makespan")
        summary["bound_at_least_plain_everywhere"] = all(
            r["best_bound"] >= r["plain_bound"] for r in rows
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
