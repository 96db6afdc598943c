"""`fab model`: the failure-model registry on MLflow — list versions, show one, promote one
(the `champion` alias), train one."""

from __future__ import annotations

import json
import re
from typing import Any

import typer
from rich.table import Table

from fabcli.common import console, landing, settings
from fabstack.errors import FabError

app = typer.Typer(help="Failure-model registry: list, show, promote, train.", no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def parse_version(text: str) -> int:
    match = re.fullmatch(r"[vV]?(\d+)", text.strip())
    if not match or int(match[1]) < 1:
        raise FabError(f"VERSION: expected a model version like 3 or v3, got {text!r}")
    return int(match[1])


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _short(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}"


@app.command("list")
def list_command(as_json: bool = JSON_OPTION) -> None:
    """Every registered version with its test figures; * marks the promoted one."""
    from assets.maintenance.registry import list_models

    with landing() as conn:
        models = list_models(conn)
    if as_json:
        _print_json([m.as_dict() for m in models])
        return
    if not models:
        console.print(
            "no failure models registered yet: run `fab model train` or the failure_model asset"
        )
        return
    table = Table(title="failure_risk models (* = promoted; figures on each test window)")
    # Narrow enough for 80 columns; `show` and `--json` carry everything.
    for col in ("ver", "fam", "days", "test", "PR AUC", "ROC", ">=24h", "FP/mo", "base PR"):
        table.add_column(col, no_wrap=True)
    short = {"hist_gradient_boosting": "hgb", "random_forest": "rf"}
    for m in models:
        base = (m.baseline_metrics or {}).get("pr_auc")
        table.add_row(
            f"{'*' if m.promoted else ' '}v{m.version}",
            short.get(m.family, m.family),
            str(m.horizon_days),
            f"{m.test_start:%m-%d}..{m.test_end:%m-%d}",
            *(
                _short(v)
                for v in (
                    m.metrics.get("pr_auc"),
                    m.metrics.get("roc_auc"),
                    m.metrics.get("share_flagged_24h"),
                    m.metrics.get("false_high_per_machine_month"),
                    base,
                )
            ),
        )
    console.print(table)


@app.command("show")
def show_command(
    version: str = typer.Argument(..., help="Model version, e.g. 3 or v3"),
    as_json: bool = JSON_OPTION,
) -> None:
    """One version: metrics beside the baseline's, windows, features, importances."""
    from assets.maintenance.evaluate import HEADLINE_METRICS
    from assets.maintenance.registry import get_model

    with landing() as conn:
        record = get_model(conn, parse_version(version))
    if as_json:
        _print_json(record.as_dict())
        return
    console.print(
        f"[bold]failure_risk v{record.version}[/bold]"
        f"{' (promoted)' if record.promoted else ''} — {record.family}, horizon "
        f"{record.horizon_days} d, seed {record.seed}, code {record.code_version}"
    )
    console.print(
        f"train {record.train_start}..{record.train_end}, validation "
        f"{record.validation_start}..{record.validation_end}, test "
        f"{record.test_start}..{record.test_end}; artifact {record.artifact_path}"
    )
    table = Table(title="test window: model vs baseline (one Isolation Forest on raw readings)")
    for col in ("metric", "model", "baseline"):
        table.add_column(col)
    base = record.baseline_metrics or {}
    for key in (
        *HEADLINE_METRICS,
        "base_rate",
        "failures",
        "rows",
    ):
        table.add_row(key, _fmt(record.metrics.get(key)), _fmt(base.get(key)))
    console.print(table)
    console.print(f"confusion matrix at HIGH: {record.metrics.get('confusion_matrix')}")
    top = ", ".join(f"{i['feature']} {i['importance']:.3f}" for i in record.importances[:8])
    console.print(f"top features (permutation importance, PR AUC drop): {top or '-'}")
    console.print(f"{len(record.feature_columns)} features; {record.promotion_note}")
    console.print(f"MLflow run: {record.run_url}")


@app.command("promote")
def promote_command(
    version: str = typer.Argument(..., help="Model version, e.g. 3 or v3"),
    force: bool = typer.Option(False, "--force", help="Promote even if PR AUC is worse."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Promote VERSION if its PR AUC on its test window is not worse than the current one's."""
    from assets.maintenance.registry import compare_and_promote

    with landing() as conn:
        outcome = compare_and_promote(conn, parse_version(version), force=force)
    if as_json:
        _print_json(outcome.as_dict())
    if not outcome.promoted:
        raise FabError(outcome.reason)
    if not as_json:
        console.print(outcome.reason)


@app.command("import-legacy")
def import_legacy_command() -> None:
    """Move the versions registered before MLflow (landing.model_registry rows with files under
    FAB_HOME/models) into MLflow, keeping which one was promoted. Only into an empty registry."""
    from assets.maintenance.registry import import_legacy

    with landing() as conn:
        for line in import_legacy(conn, settings().home_dir):
            console.print(line)


@app.command("train")
def train_command(
    days: int = typer.Option(90, "--days", min=7, help="History to train on, in days."),
    horizon: int = typer.Option(7, "--horizon", help="Label horizon in days (1-14)."),
    family: str = typer.Option(
        "hist_gradient_boosting", "--family", help="hist_gradient_boosting or random_forest"
    ),
    promote: bool = typer.Option(
        True, "--promote/--no-promote", help="Promote when not worse than the current model."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Train from the landing zone (no warehouse needed), register, and maybe promote."""
    from assets.maintenance.common import check_horizon
    from assets.maintenance.service import train_from_landing
    from assets.maintenance.train import FAMILIES, TrainConfig
    from fabstack.services import landing_endpoint

    check_horizon(horizon)
    if family not in FAMILIES:
        raise FabError(f"--family: expected one of {', '.join(FAMILIES)}, got {family!r}")
    cfg = settings()
    config = TrainConfig(horizon_days=horizon, family=family, seed=cfg.seed).checked()
    dsn = landing_endpoint(cfg).url
    with console.status(f"features, anomaly scores and training on the last {days} days..."):
        result, record, promotion = train_from_landing(
            dsn, cfg.home_dir, config, days=days, auto_promote=promote
        )
    summary = {
        "version": record.version,
        "metrics": result.metrics,
        "baseline_metrics": result.baseline_metrics,
        "windows": result.windows,
        "promotion": promotion.as_dict() if promotion else None,
    }
    if as_json:
        _print_json(summary)
        return
    m, b = result.metrics, result.baseline_metrics or {}
    console.print(
        f"registered failure_risk v{record.version} (test {result.windows['test']}): "
        f"PR AUC {_fmt(m['pr_auc'])} (baseline {_fmt(b.get('pr_auc'))}), ROC AUC "
        f"{_fmt(m['roc_auc'])}, flagged >=24h {_fmt(m['share_flagged_24h'])}, "
        f"false HIGH/machine-month {_fmt(m['false_high_per_machine_month'])} (days), "
        f"{_fmt(m.get('false_high_alerts_per_machine_month'))} (alerts)"
    )
    if promotion:
        console.print(promotion.reason)
