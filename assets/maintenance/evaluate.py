"""Figures for a scored window: ranking quality, the HIGH band as an alert, and lead times.

``scored`` has one row per machine-day with ``machine_id, day, label, next_failure_h, next_onset,
probability``. A failure counts as *flagged 24 h ahead* when some prediction made 24 h or more
before its onset, inside the horizon, was HIGH; its *lead time* is the time from the first HIGH
prediction in the horizon to the onset.

A *false HIGH* is a HIGH machine-day with no failure onset within the horizon (label 0). An
operator receives alerts, not machine-days: a run of consecutive HIGH days on one machine is one
*alert episode*, and it is false when none of its days precedes a failure within the horizon.
Both rates are reported per machine-month of scored days.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score

from assets.maintenance.common import HIGH_THRESHOLD

DAYS_PER_MONTH = 30.0
# The figures a model is judged and compared by (asset metadata, `fab model show`, benchmark).
HEADLINE_METRICS = (
    "pr_auc",
    "roc_auc",
    "precision_high",
    "recall_high",
    "share_flagged_24h",
    "share_wear_out_flagged_24h",
    "mean_lead_time_h",
    "false_high_per_machine_month",
    "false_high_alerts_per_machine_month",
)


def _safe(fn, y: np.ndarray, p: np.ndarray) -> float | None:
    return float(fn(y, p)) if 0 < y.sum() < y.size else None


def alert_episodes(scored: pl.DataFrame) -> pl.DataFrame:
    """One row per run of consecutive HIGH days on a machine: ``machine_id, first_day, last_day,
    days, true`` (``true`` when some day of the run precedes a failure within the horizon)."""
    high = scored.filter(pl.col("high")).sort("machine_id", "day")
    gap = pl.col("day").diff().over("machine_id") != pl.duration(days=1)
    return (
        high.with_columns(episode=gap.fill_null(True).cum_sum().over("machine_id"))
        .group_by("machine_id", "episode")
        .agg(
            first_day=pl.col("day").min(),
            last_day=pl.col("day").max(),
            days=pl.len(),
            true=(pl.col("label") == 1).any(),
        )
        .drop("episode")
        .sort("machine_id", "first_day")
    )


def evaluate_scores(
    scored: pl.DataFrame,
    failures: pl.DataFrame | None = None,
    *,
    high_threshold: float = HIGH_THRESHOLD,
    flagged: pl.Expr | None = None,
) -> dict[str, object]:
    """Metrics of ``probability`` vs ``label``; ``flagged`` overrides ``p > high_threshold``."""
    flag_expr = flagged if flagged is not None else pl.col("probability") > high_threshold
    scored = scored.with_columns(high=flag_expr.fill_null(False))
    y = scored["label"].to_numpy().astype(int)
    p = scored["probability"].fill_null(0.0).to_numpy().astype(float)
    high = scored["high"].to_numpy().astype(bool)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, high.astype(int), labels=[0, 1]).ravel())
    machine_months = scored.height / DAYS_PER_MONTH
    runups = (
        scored.filter(pl.col("label") == 1)
        .group_by("machine_id", "next_onset")
        .agg(
            eligible=(pl.col("next_failure_h") >= 24.0).any(),
            flagged_24h=((pl.col("next_failure_h") >= 24.0) & pl.col("high")).any(),
            lead_h=pl.col("next_failure_h").filter(pl.col("high")).max(),
        )
    )
    if failures is not None and not failures.is_empty():
        runups = runups.join(
            failures.select("machine_id", pl.col("onset").alias("next_onset"), "reason_code"),
            on=["machine_id", "next_onset"],
            how="left",
        )
    else:
        runups = runups.with_columns(reason_code=pl.lit(None, pl.String))
    eligible = runups.filter(pl.col("eligible"))
    wear = eligible.filter(pl.col("reason_code") == "WEAR_OUT")
    leads = runups["lead_h"].drop_nulls()
    episodes = alert_episodes(scored)
    false_alerts = int((~episodes["true"]).sum())
    return {
        "rows": scored.height,
        "machines": scored["machine_id"].n_unique(),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if y.size else None,
        "roc_auc": _safe(roc_auc_score, y, p),
        "pr_auc": _safe(average_precision_score, y, p),
        "precision_high": tp / (tp + fp) if tp + fp else None,
        "recall_high": tp / (tp + fn) if tp + fn else None,
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "failures": runups.height,
        "failures_eligible_24h": eligible.height,
        "share_flagged_24h": (float(eligible["flagged_24h"].mean()) if eligible.height else None),
        "wear_out_failures_eligible_24h": wear.height,
        "share_wear_out_flagged_24h": float(wear["flagged_24h"].mean()) if wear.height else None,
        "mean_lead_time_h": float(leads.mean()) if leads.len() else None,
        "false_high_per_machine_month": fp / machine_months if machine_months else None,
        "high_alerts": episodes.height,
        "false_high_alerts": false_alerts,
        "false_high_alerts_per_machine_month": (
            false_alerts / machine_months if machine_months else None
        ),
    }
