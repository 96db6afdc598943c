"""`fab defects`: the wafer-map signature classifier — train it on labelled maps (lot-disjoint
cross-validation, registered and optionally promoted), and classify maps from a CSV."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from fabcli.common import check_number, console, landing, settings
from fabstack.errors import FabError

app = typer.Typer(help="Wafer-map signatures: train and classify.", no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def _promoted_signature_model():
    from assets.defects.map_classifier import MODEL_NAME
    from assets.maintenance.registry import promoted_model

    with landing() as conn:
        record = promoted_model(conn, model_name=MODEL_NAME)
    if record is None:
        raise FabError(
            f"no promoted {MODEL_NAME} model: run `fab defects train FILE --promote` "
            "(FILE: labelled maps, e.g. ../shared/reference/wm811k/train.csv)"
        )
    return record, record.load()


@app.command("classify")
def classify(
    file: Path = typer.Argument(..., help="Map CSV in the train.csv format (label ignored)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Signature of every map in FILE by the promoted wafer_signature model."""
    from ingestion.sort.wafer_maps import read_maps

    maps = read_maps(file)
    record, model = _promoted_signature_model()
    labels, confidence = model.classify(maps.maps)
    rows = [
        {"map_id": m, "label": lab, "confidence": round(float(c), 4)}
        for m, lab, c in zip(maps.map_ids, labels, confidence, strict=True)
    ]
    if as_json:
        typer.echo(json.dumps({"model": f"v{record.version}", "predictions": rows}))
        return
    table = Table(title=f"{file.name}: signatures by {record.model_name} v{record.version}")
    for col in ("map_id", "label", "confidence"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["map_id"], r["label"], f"{r['confidence']:.2f}")
    console.print(table)


@app.command("train")
def train(
    file: Path = typer.Argument(
        ..., help="Labelled maps (train.csv format or long CSV with label)."
    ),
    seed: int = typer.Option(None, "--seed", help="Random seed (default: the module's)."),
    promote: bool = typer.Option(False, "--promote", help="Promote the new version if not worse."),
    force: bool = typer.Option(False, "--force", help="With --promote: promote even if worse."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Lot-disjoint CV, then fit on every map and register a wafer_signature version."""
    from assets.defects.map_classifier import DEFAULT_SEED, MODEL_NAME, SignatureConfig
    from assets.defects.map_classifier import train as train_model
    from assets.maintenance.registry import compare_and_promote, register
    from ingestion.sort.wafer_maps import read_maps

    if seed is not None:
        check_number("--seed", seed, at_least=0, at_most=2**32 - 1)
    maps = read_maps(file, require_label=True)
    config = SignatureConfig(seed=DEFAULT_SEED if seed is None else seed)
    with console.status(f"training on {len(maps)} maps (5 lot-disjoint folds)..."):
        result = train_model(maps, seed=config.seed)
    with landing() as conn:
        record = register(conn, settings().home_dir, result, config, model_name=MODEL_NAME)
        promotion = (
            compare_and_promote(conn, record.version, force=force, model_name=MODEL_NAME)
            if promote
            else None
        )
    out = {
        "model": MODEL_NAME,
        "version": record.version,
        "metrics": result.metrics,
        "promotion": promotion.as_dict() if promotion else None,
    }
    if as_json:
        typer.echo(json.dumps(out, default=str))
        return
    m = result.metrics
    console.print(
        f"{MODEL_NAME} v{record.version}: lot-disjoint CV over {m['maps']} maps / {m['lots']} "
        f"lots: macro-F1 {m['macro_f1']:.3f}, accuracy {m['accuracy']:.3f}"
    )
    console.print("recall: " + ", ".join(f"{c} {r:.2f}" for c, r in m["recall"].items()))
    if promotion:
        console.print(promotion.reason)
