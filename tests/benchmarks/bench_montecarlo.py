"""Monte Carlo capacity: 10,000 simulations x 30 days x 50 machines (fab50), vectorised numpy,
against a plain Python loop of the same model in the same run.

The loop runs a subset of the simulations (default 200) and its time is scaled linearly to
10,000 (the loop's cost is linear in simulations); both means are printed to show it is the same
model. Run: .venv/bin/python -m tests.benchmarks.bench_montecarlo
"""

from __future__ import annotations

import argparse
import json
import time

from assets.forecasting.inputs import machine_models_from_plant, visits_per_wafer
from assets.forecasting.montecarlo import (
    forecast_capacity,
    simulate_machine_output,
    simulate_machine_output_loop,
)
from ingestion.plant import load_plant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--loop-sims", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plant = load_plant("fab50")
    models = machine_models_from_plant(plant)
    simulate_machine_output(models, args.days, 100, seed=1)  # warm-up (imports, allocator)
    times = []
    for r in range(args.repeat):
        t = time.perf_counter()
        vec = simulate_machine_output(models, args.days, args.sims, seed=r)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    full = forecast_capacity(models, visits_per_wafer(plant), days=args.days, sims=args.sims)
    forecast_s = time.perf_counter() - t
    t = time.perf_counter()
    loop = simulate_machine_output_loop(models, args.days, args.loop_sims, seed=0)
    loop_s = time.perf_counter() - t
    loop_scaled = loop_s * args.sims / args.loop_sims
    best = min(times)
    mean_vec, mean_loop = vec.mean(), loop.mean()
    print(
        f"vectorised: {args.sims} sims x {args.days} days x {len(models)} machines in "
        f"{best:.3f} s (best of {args.repeat}: {', '.join(f'{x:.3f}' for x in times)}); "
        f"full forecast with percentiles and bottleneck {forecast_s:.3f} s"
    )
    print(
        f"python loop: {args.loop_sims} sims in {loop_s:.2f} s -> {loop_scaled:.1f} s scaled to "
        f"{args.sims}; speed-up x{loop_scaled / best:.0f}"
    )
    print(
        f"same model: mean wafers per machine per {args.days} days vectorised {mean_vec:.0f}, "
        f"loop {mean_loop:.0f} ({100 * (mean_loop / mean_vec - 1):+.2f} %)"
    )
    print(
        f"line output P5/P50/P95 {full.line['p5']:.0f}/{full.line['p50']:.0f}/"
        f"{full.line['p95']:.0f} wafers, bottleneck {full.bottleneck_area}"
    )
    print(
        json.dumps(
            {
                "sims": args.sims,
                "days": args.days,
                "machines": len(models),
                "vectorised_s": round(best, 3),
                "vectorised_runs_s": [round(x, 3) for x in times],
                "forecast_with_percentiles_s": round(forecast_s, 3),
                "loop_sims": args.loop_sims,
                "loop_s": round(loop_s, 2),
                "loop_scaled_to_sims_s": round(loop_scaled, 1),
                "speedup_vs_python_loop": round(loop_scaled / best, 1),
                "under_2s": best < 2.0,
                "mean_wafers_vectorised": round(float(mean_vec), 1),
                "mean_wafers_loop": round(float(mean_loop), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
