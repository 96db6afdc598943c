"""JSPLIB conformance benchmark: ft06, ft10, ft20, la01-la20 with the fab's CP-SAT model.

Per instance: makespan, status, best bound, time to the proven optimum (or the limit) and the gap
to the published optimum. Run: .venv/bin/python -m tests.benchmarks.bench_jsplib [--time-limit S]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from assets.planning.checker import check_schedule
from assets.planning.jsp import jsp_problem, parse_jsp
from assets.planning.model import SolveOptions, solve

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "jsplib"
INSTANCES = ["ft06", "ft10", "ft20"] + [f"la{i:02d}" for i in range(1, 21)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    optima = json.loads((REFERENCE / "optima.json").read_text())
    rows = []
    for name in args.only or INSTANCES:
        problem = jsp_problem(parse_jsp(REFERENCE / f"{name}.txt"))
        result = solve(problem, SolveOptions(time_limit_s=args.time_limit, workers=args.workers))
        optimum = optima[name]["optimum"]
        assert result.makespan is not None and result.makespan >= optimum, name
        assert not check_schedule(problem, result.slots), name
        row = {
            "instance": name,
            "status": result.status,
            "makespan": result.makespan,
            "optimum": optimum,
            "best_bound": result.best_bound,
            "time_s": round(result.solve_time_s, 2),
            "gap_to_optimum_pct": round(100 * (result.makespan - optimum) / optimum, 2),
            "solver_gap_pct": round(100 * (result.gap or 0), 2),
        }
        rows.append(row)
        print(
            f"{name:5s} {row['status']:8s} makespan {row['makespan']:5d} optimum {optimum:5d} "
            f"bound {row['best_bound']:7.0f} time {row['time_s']:6.2f} s "
            f"gap-to-opt {row['gap_to_optimum_pct']:5.2f} %",
            flush=True,
        )
    proven = [r for r in rows if r["status"] == "OPTIMAL"]
    at_optimum = [r for r in rows if r["makespan"] == r["optimum"]]
    print(
        json.dumps(
            {
                "instances": len(rows),
                "proven_optimal": len(proven),
                "at_published_optimum": len(at_optimum),
                "time_limit_s": args.time_limit,
                "workers": args.workers,
                "cpu_count": os.cpu_count(),
                "total_time_s": round(sum(r["time_s"] for r in rows), 2),
                "max_gap_to_optimum_pct": max(r["gap_to_optimum_pct"] for r in rows),
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
        )
    )


if __name__ == "__main__":
    main()
