"""`fab demo`: the whole path on the embedded defaults, step by step."""

from __future__ import annotations

import typer

from fabstack import services as svc
from fabstack.cli.common import console, settings
from fabstack.cli.db import print_status, run_migrate, run_seed
from fabstack.cli.services import print_endpoints


def demo(
    plant: str = typer.Option(None, "--plant", help="Plant to run (default FAB_PLANT, demo)."),
) -> None:
    """Find or start services, migrate, seed a plant and show what exists."""
    s = settings()
    plant = plant or s.plant
    console.rule("[bold]1. services")
    print_endpoints(svc.all_endpoints(s, start=True))
    console.rule("[bold]2. landing zone")
    run_migrate()
    console.rule(f"[bold]3. seed plant {plant}")
    run_seed(plant)
    console.rule("[bold]4. what exists")
    print_status()
