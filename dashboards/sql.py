"""Board SQL lives in ``dashboards/queries/**.sql``; this module loads it into Grafana targets.

Each panel, variable and alert names its query file; the generated JSON carries the file's
text verbatim (less a trailing semicolon), so ``fab boards check`` runs exactly what Grafana
runs. Two datasources: the warehouse (ClickHouse plugin) and the landing zone (PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from fabstack.errors import FabError

QUERY_DIR = Path(__file__).parent / "queries"

CLICKHOUSE_PLUGIN = "grafana-clickhouse-datasource"
POSTGRES_PLUGIN = "grafana-postgresql-datasource"


@dataclass(frozen=True)
class Source:
    """A provisioned datasource: the uid the boards point at and its plugin type."""

    uid: str
    plugin: str
    dialect: Literal["clickhouse", "postgresql"]

    @property
    def ref(self) -> DataSourceRef:
        return DataSourceRef(type_val=self.plugin, uid=self.uid)


WAREHOUSE = Source("fab-warehouse", CLICKHOUSE_PLUGIN, "clickhouse")
LANDING = Source("fab-landing", POSTGRES_PLUGIN, "postgresql")
SOURCES = {s.uid: s for s in (WAREHOUSE, LANDING)}

Format = Literal["table", "time_series"]


def load_query(name: str) -> str:
    """The text of ``dashboards/queries/<name>.sql`` without a trailing semicolon."""
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise FabError(f"board query not found: {path}")
    text = path.read_text().strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def query_model(source: Source, sql: str, fmt: Format = "table", ref_id: str = "A") -> dict:
    """A target as each plugin stores it: ClickHouse v4 (editorType sql) or Grafana's PostgreSQL."""
    model: dict[str, Any] = {
        "refId": ref_id,
        "datasource": {"type": source.plugin, "uid": source.uid},
        "rawSql": sql,
    }
    if source.dialect == "clickhouse":
        # ClickHouse plugin: format 1 = table, 0 = time series.
        model |= {
            "editorType": "sql",
            "format": 0 if fmt == "time_series" else 1,
            "queryType": "timeseries" if fmt == "time_series" else "table",
        }
    else:
        model |= {"editorMode": "code", "rawQuery": True, "format": fmt}
    return model


class SqlTarget(cogvariants.Dataquery):
    """A raw-SQL target; the SDK ships no ClickHouse/PostgreSQL query types, so we bring one."""

    def __init__(self, model: dict) -> None:
        self.model = model

    def to_json(self) -> dict:
        return self.model


class SqlQuery(cogbuilder.Builder[SqlTarget]):
    """Builder for a target whose SQL comes from a query file."""

    def __init__(self, source: Source, name: str, fmt: Format = "table", ref_id: str = "A"):
        self.source = source
        self.name = name
        self._model = query_model(source, load_query(name), fmt, ref_id)

    def build(self) -> SqlTarget:
        return SqlTarget(dict(self._model))


def wh(name: str, fmt: Format = "table", ref_id: str = "A") -> SqlQuery:
    """A warehouse (ClickHouse) query from ``queries/<name>.sql``."""
    return SqlQuery(WAREHOUSE, name, fmt, ref_id)


def live(name: str, fmt: Format = "table", ref_id: str = "A") -> SqlQuery:
    """A landing-zone (PostgreSQL/TimescaleDB) query from ``queries/<name>.sql``."""
    return SqlQuery(LANDING, name, fmt, ref_id)
