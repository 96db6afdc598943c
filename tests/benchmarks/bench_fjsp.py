"""Flexible job shop, Brandimarte mk01-mk10: the fab model against a plain flexible CP-SAT model
(see `_planning.py`) at the same deterministic budget, seed and worker count.

Per instance: makespan, gap to the best known makespan and lower bound of both models. Targets:
sum of gaps below the plain model's, a bound at least the plain model's on every instance, and
mk01-mk05 within 2 % of best known. Figures repeat under any machine load (deterministic time).
Run: .venv/bin/python -m tests.benchmarks bench_fjsp  (or -m tests.benchmarks.bench_fjsp
[--det-time D] [--workers W] [--seed S] [--only mk01 mk02])
"""

from __future__ import annotations

import argparse
import json
import os

from assets.planning.checker import check_schedule
from assets.planning.fjsp import fjsp_problem, parse_fjsp
from assets.planning.model import SolveOptions, solve
from tests.benchmarks._planning import REFERENCE, gap_pct, solve_plain

BRANDIMARTE = REFERENCE / "fjsp" / "brandimarte"
INSTANCES = [f"mk{i:02d}" for i in range(1, 11)]


def _pct(value: float | None) -> str:
    return "  none" if value is None else f"{value:6.2f} %"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--det-time", type=float, default=20.0, help="per instance and model")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    best_known = json.loads((BRANDIMARTE / "best_known.json").read_text())
    rows = []
    for name in args.only or INSTANCES:
        problem = fjsp_problem(parse_fjsp(BRANDIMARTE / f"{name}.fjs"))
        best = best_known[name]["best_known"]
        fab = solve(
            problem,
            SolveOptions(
                time_limit_s=3600.0,  # a safety net only: the budget is deterministic
                deterministic_time=args.det_time,
                workers=args.workers,
                seed=args.seed,
            ),
        )
        assert not check_schedule(problem, fab.slots), name
        plain = solve_plain(problem, args.det_time, args.workers, args.seed)
        row = {
            "instance": name,
            "best_known": best,
            "fab_makespan": fab.makespan,
            "fab_bound": fab.makespan_bound,
            "fab_gap_pct": gap_pct(fab.makespan, best),
            "fab_det_time": round(fab.deterministic_time, 2),
            "fab_wall_s": round(fab.solve_time_s, 2),
            "plain_makespan": plain.makespan,
            "plain_bound": plain.bound,
            "plain_gap_pct": gap_pct(plain.makespan, best),
            "plain_det_time": round(plain.deterministic_time, 2),
            "plain_wall_s": round(plain.wall_s, 2),
        }
        rows.append(row)
        print(
            f"{name} best {best:4d} | fab {fab.makespan:4d} bound {fab.makespan_bound:6.0f} "
            f"gap {_pct(row['fab_gap_pct'])} | plain {plain.makespan or -1:4d} bound "
            f"{plain.bound:6.0f} gap {_pct(row['plain_gap_pct'])}",
            flush=True,
        )
    sum_fab = round(sum(r["fab_gap_pct"] for r in rows), 2)
    # no plain solution within the budget counts as a 100 % gap
    sum_plain = round(sum(100.0 if g is None else g for g in (r["plain_gap_pct"] for r in rows)), 2)
    print(
        json.dumps(
            {
                "instances": len(rows),
                "det_time_per_model": args.det_time,
                "workers": args.workers,
                "seed": args.seed,
                "cpu_count": os.cpu_count(),
                "sum_gap_pct_fab": sum_fab,
                "sum_gap_pct_plain": sum_plain,
                "fab_ahead_on_sum": sum_fab < sum_plain,
                "bound_at_least_plain_everywhere": all(
                    r["fab_bound"] >= r["plain_bound"] for r in rows
                ),
                "mk01_mk05_within_2pct": all(
                    r["fab_gap_pct"] <= 2.0 for r in rows if r["instance"] <= "mk05"
                ),
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
