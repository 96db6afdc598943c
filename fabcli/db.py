"""`fab db`: landing-zone migrations, seeding and status."""

from __future__ import annotations

import typer
from rich.table import Table

from fabcli.common import console, human_bytes, landing, settings
from fabstack.errors import FabError

app = typer.Typer(help="Landing zone: migrate, seed, status.", no_args_is_help=True)


def run_migrate() -> None:
    from ingestion.landing.db import storage_mode
    from ingestion.landing.migrate import migrate

    with landing() as conn:
        applied = migrate(conn)
        mode = storage_mode(conn)
    if applied:
        for m in applied:
            console.print(f"applied {m.version:04d} {m.name} ({mode})")
    else:
        console.print(f"landing zone up to date ({mode} mode)")


def run_seed(plant_name: str) -> dict[str, int]:
    from ingestion.landing.db import storage_mode
    from ingestion.landing.seed import seed_plant
    from ingestion.plant import load_plant

    plant = load_plant(plant_name)
    with landing() as conn:
        if storage_mode(conn) is None:
            raise FabError("landing zone is not migrated yet: run `fab db migrate`")
        counts = seed_plant(conn, plant)
    table = Table(title=f"seeded plant {plant.plant} ({plant.site.name}, {plant.site.timezone})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)
    return counts


def print_status() -> None:
    from ingestion.landing.status import landing_status

    with landing() as conn:
        mode, tables = landing_status(conn)
    if mode is None:
        console.print("landing zone not migrated: run `fab db migrate`")
        return
    table = Table(title=f"landing zone ({mode} mode)")
    for col, justify in (
        ("table", "left"),
        ("partitions" if mode == "native" else "chunks", "right"),
        ("rows", "right"),
        ("size", "right"),
    ):
        table.add_column(col, justify=justify)
    for t in tables:
        rows = f"{t.rows:,}" if t.rows_exact else f"~{t.rows:,}"
        table.add_row(t.table, str(t.partitions), rows, human_bytes(t.bytes))
    console.print(table)


@app.command()
def migrate() -> None:
    """Apply pending landing-zone migrations (a no-op when up to date)."""
    run_migrate()


@app.command()
def seed(
    plant: str = typer.Option(None, "--plant", help="Plant name (demo, fab50) or a YAML path."),
) -> None:
    """Load a plant's reference data (sites, machines, recipes, shifts...). Idempotent."""
    run_seed(plant or settings().plant)


@app.command()
def status() -> None:
    """Show the storage mode, partitions or chunks, row counts and sizes."""
    print_status()


@app.command()
def retention(
    keep_days: int = typer.Option(
        None, min=1, max=36_500, help="Days to keep (default FAB_RETENTION_DAYS)."
    ),
) -> None:
    """Drop raw time-series partitions (or TimescaleDB chunks) older than the retention window."""
    from ingestion.landing.db import storage_mode
    from ingestion.landing.migrate import apply_retention

    with landing() as conn:
        dropped = apply_retention(conn, keep_days or settings().retention_days)
        unit = "chunks" if storage_mode(conn) == "timescale" else "partitions"
    console.print(f"dropped {dropped} {unit}")
