"""Resources every domain's assets share: the landing zone, the warehouse and dbt.

Resource keys (use these names as asset parameters): ``landing`` (`LandingResource`),
``warehouse`` (`WarehouseResource`), ``dbt`` (`DbtCliResource`, when `dbt/` holds a project).
Unset fields fall back to the ``FAB_*`` settings at run time, so loading the code location never
starts or contacts a service.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import psycopg

from fabstack.settings import Settings, load_settings
from warehouse.client import Warehouse, open_warehouse

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt"


class LandingResource(dg.ConfigurableResource):
    """The landing-zone PostgreSQL (schema `landing`)."""

    dsn: str | None = None

    def url(self) -> str:
        if self.dsn:
            return self.dsn
        from fabstack.services import landing_endpoint

        return landing_endpoint(load_settings()).url

    @contextmanager
    def connect(self, autocommit: bool = True) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.url(), autocommit=autocommit) as conn:
            yield conn


class WarehouseResource(dg.ConfigurableResource):
    """The ClickHouse warehouse: chDB under ``home``/warehouse, or a server at ``clickhouse_url``.

    Open it per unit of work (``with warehouse.open() as wh:``): chDB allows one process per
    data path, so the embedded backend is locked across processes while open.
    """

    home: str | None = None
    clickhouse_url: str | None = None

    def settings(self) -> Settings:
        overrides: dict[str, object] = {}
        if self.home:
            overrides["home"] = Path(self.home)
        if self.clickhouse_url:
            overrides["clickhouse_url"] = self.clickhouse_url
        return load_settings(**overrides)

    @contextmanager
    def open(self) -> Iterator[Warehouse]:
        with open_warehouse(self.settings()) as wh:
            yield wh


def dbt_resource() -> dg.ConfigurableResource | None:
    """dbt over the landing zone, when the dbt project exists (profiles live next to it)."""
    if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():
        return None
    from dagster_dbt import DbtCliResource

    # The dbt CLI installed next to this interpreter (the venv), whatever PATH says.
    local_dbt = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(local_dbt) if local_dbt.exists() else "dbt",
    )


def default_resources() -> dict[str, object]:
    """The resources the code location binds, keyed by the names assets ask for."""
    resources: dict[str, object] = {
        "landing": LandingResource(),
        "warehouse": WarehouseResource(),
    }
    dbt = dbt_resource()
    if dbt is not None:
        resources["dbt"] = dbt
    return resources
