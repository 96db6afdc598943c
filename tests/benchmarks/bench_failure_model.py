"""Failure model vs the plain baseline on simulator data with injected wear-out failures.

Backfills the demo plant (default 120 days, one reading per metric every 5 minutes) into a
throwaway landing database -- or reuses FAB_BENCH_DSN -- then trains, calibrates and evaluates
the model on the held-out last time window at the default 7-day horizon and at a 3-day horizon,
beside the baseline (one Isolation Forest on raw temperature and vibration).

    .venv/bin/python -m tests.benchmarks.bench_failure_model [--days 120] [--horizons 7,3]

Issue targets at 7 days: PR AUC >= 0.8, share_flagged_24h >= 0.8, at most one false HIGH alert
(a run of HIGH days with no failure within the horizon) per machine-month, beating the baseline.
Random failures (ELECTRICAL, VACUUM_LEAK) give no warning, so they cap share_flagged_24h and PR AUC.

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime

import psycopg

from assets.maintenance.evaluate import HEADLINE_METRICS
from assets.maintenance.pipeline import train_failure_model
from assets.maintenance.sources import (
    inputs_from_landing,
    landing_data_range,
    named_queries,
    readings_from_landing,
)
from assets.maintenance.train import TrainConfig

KEYS = (
    *HEADLINE_METRICS,
    "base_rate",
    "failures",
    "failures_eligible_24h",
    "high_alerts",
    "rows",
)


def _round(value):
    return round(value, 3) if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=float, default=120)
    parser.add_argument("--rate-hz", type=float, default=1 / 300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizons", default="7,3")
    args = parser.parse_args()
    dsn = os.environ.get("FAB_BENCH_DSN")
    created = None
    began = time.perf_counter()
    if not dsn:
        from ingestion.simulator.backfill import run_backfill
        from tests.conftest import create_database

        dsn = created = create_database("fabbench")
        print(
            f"backfilling {args.days:g} days of the demo plant at {args.rate_hz:g} Hz ...",
            flush=True,
        )
        run_backfill(
            dsn,
            "demo",
            args.days,
            args.seed,
            end=datetime(2026, 11, 1, tzinfo=UTC),
            sensor_rate_hz=args.rate_hz,
        )
    backfill_s = time.perf_counter() - began
    try:
        with psycopg.connect(dsn) as conn:
            start, end = landing_data_range(conn)
            inputs = inputs_from_landing(conn, start, end)
            readings = readings_from_landing(conn, start, end)
            sql = named_queries("landing_inputs.sql")
            present = conn.execute(sql["truth_present"]).fetchone()[0]
            truth = conn.execute(sql["truth_failures"]).fetchone() if present else None
        out: dict[str, object] = {
            "days": args.days,
            "machines": inputs.machines.height,
            "backfill_s": round(backfill_s, 1),
        }
        if truth:
            out["mean_precursor_h"] = _round(float(truth[0] or 0))
            out["wear_out_failures"], out["failures"] = int(truth[1]), int(truth[2])
        for horizon in (int(h) for h in args.horizons.split(",")):
            t0 = time.perf_counter()
            result = train_failure_model(
                inputs, TrainConfig(horizon_days=horizon, seed=args.seed), readings=readings
            )
            seconds = time.perf_counter() - t0
            ours = {k: _round(result.metrics[k]) for k in KEYS}
            base = {k: _round((result.baseline_metrics or {}).get(k)) for k in KEYS}
            print(
                f"\nhorizon {horizon} d, test window {result.windows['test']} "
                f"({seconds:.1f} s to train and evaluate)"
            )
            print(f"{'metric':36} {'model':>10} {'baseline':>10}")
            for k in KEYS:
                print(f"{k:36} {ours[k]!s:>10} {base[k]!s:>10}")
            top = ", ".join(i["feature"] for i in result.importances[:6])
            print(f"top features: {top}")
            out[f"h{horizon}"] = {
                "model": ours,
                "baseline": base,
                "test_window": result.windows["test"],
                "train_eval_s": round(seconds, 1),
            }
    finally:
        if created:
            from tests.conftest import drop_database

            drop_database(created)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
