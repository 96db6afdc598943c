"""Forecast inputs fitted on landing-zone history: MTBF/MTTR from state events, efficiency from
lot moves, and a capacity forecast that is sane against the output actually achieved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from assets.forecasting.history import load_forecast_inputs
from assets.forecasting.montecarlo import forecast_capacity
from ingestion.landing.migrate import ensure_partitions

END = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


def test_fits_and_forecast_from_history(landing_dsn: str) -> None:
    start = END - timedelta(days=10)
    states, moves = [], []
    # CMP-01: up 46 h, then a 2 h electrical failure, five times (MTBF 46 h, MTTR 2 h)
    t = start
    for _ in range(5):
        states.append((t, "CMP-01", "RUNNING", "RUN"))
        states.append((t + timedelta(hours=46), "CMP-01", "DOWN", "ELECTRICAL"))
        t += timedelta(hours=48)
    states.append((t, "CMP-01", "RUNNING", "RUN"))
    # lots through CMP at 90 s/wafer recipe time: 25 wafers in 2500 s -> efficiency 0.9
    for i in range(40):
        t_in = start + timedelta(hours=2 * i)
        for event, ts in (("track_in", t_in), ("track_out", t_in + timedelta(seconds=2500))):
            moves.append((ts, f"H{i:03d}", 4, "CMP-01", "CMP-STD", event, 25))
    with psycopg.connect(landing_dsn, autocommit=True) as conn:
        ensure_partitions(conn, start.date(), END.date())
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO landing.lot (lot_id, product_id, wafer_count, priority, "
                "release_ts, due_ts, status) VALUES (%s, 'LOGIC-A', 25, 3, %s, %s, "
                "'queued')",
                [(f"H{i:03d}", start, END) for i in range(40)],
            )
            cur.executemany(
                "INSERT INTO landing.machine_state (ts, machine_id, state, "
                "reason_code) VALUES (%s, %s, %s, %s)",
                states,
            )
            cur.executemany(
                "INSERT INTO landing.lot_move (ts, lot_id, step_no, machine_id, "
                "recipe_id, event, wafers) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                moves,
            )
        inputs = load_forecast_inputs(conn, END, lookback_days=10)
    cmp = next(m for m in inputs.machines if m.machine_id == "CMP-01")
    assert inputs.failures_seen == 5
    assert cmp.mttr_h == pytest.approx(2.0)
    assert cmp.mtbf_h == pytest.approx(46.0)  # 5 x 46 h up / 5 failures
    assert cmp.eff_mu == pytest.approx(0.9, abs=1e-6)  # no spread: the prior sigma stays
    other = next(m for m in inputs.machines if m.machine_id == "ETCH-01")
    assert (other.mtbf_h, other.eff_mu) == (465.0, 0.95)  # no history: priors
    assert inputs.visits_per_wafer["CMP"] == 1.0
    f = forecast_capacity(inputs.machines, inputs.visits_per_wafer, days=10, sims=2000, seed=1)
    cmp_row = next(r for r in f.machines if r["machine_id"] == "CMP-01")
    achieved = 40 * 25  # wafers CMP-01 actually ran in those 10 days, far from saturated
    assert achieved < cmp_row["p5"] <= cmp_row["p50"] <= cmp_row["p95"]
    # capacity ceiling: 21 scheduled hours a day at 0.9 x 40 wafers/h
    assert cmp_row["p99"] < 10 * 21 * 40 * 0.9 * 1.01
