"""The star schema's DDL for a ClickHouse cluster (``FAB_CLICKHOUSE_CLUSTER``).

The schema files describe one server. For a cluster the same statements are rewritten the way
ClickHouse's documentation lays out replicated, sharded tables:

- every DDL runs ``ON CLUSTER <name>``;
- a fact with a machine becomes ``<fact>_local``, a ``ReplicatedMergeTree(
  '/clickhouse/tables/{shard}/fab/<fact>_local', '{replica}')`` on each shard, plus ``<fact>`` as
  ``Distributed(<cluster>, fab, <fact>_local, <sharding key>)`` over them. The sharding key is
  the site: ``cityHash64(dictGet('fab.machine_site', 'site_id', machine_id))``, so one site's
  rows live on one shard and per-site queries touch one shard;
- a dimension, or a plant-wide fact (forecasts, plan runs, wafer sort), is small and joined
  by every fact query, so it is replicated whole to every node
  (one replication path for all shards, ``/clickhouse/tables/all/...``) under its own name;
- staging twins get their own replication paths (a twin made ``AS`` a replicated table would
  share its path).

``{shard}`` and ``{replica}`` are server macros (``<macros>`` in each node's config), left for
the server to fill in. Without the setting the schema files run unchanged.

A day's rebuild is routed too (`ClusterSchema.route`): a Distributed table has no partitions,
so a fact's ``DROP PARTITION`` runs on ``<fact>_local ON CLUSTER`` (every shard), and the
staged day goes in with ``INSERT INTO <fact> SELECT * FROM <stage>`` through the Distributed
table, which shards the rows by site (``ATTACH PARTITION ... FROM`` works only between local
tables of one node).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fabstack.errors import FabError

MACHINE_SITE_DICT = "fab.machine_site"
SITE_SHARDING_KEY = f"cityHash64(dictGet('{MACHINE_SITE_DICT}', 'site_id', machine_id))"

_CREATE_DB = re.compile(r"^(CREATE DATABASE IF NOT EXISTS fab)\s*$", re.S)
_CREATE_TABLE = re.compile(
    r"^CREATE TABLE IF NOT EXISTS fab\.(?P<name>\w+) \((?P<columns>.*)\) "
    r"ENGINE = MergeTree(?P<tail>.*)$",
    re.S,
)
_CREATE_AS = re.compile(r"^CREATE TABLE IF NOT EXISTS fab\.(?P<name>\w+) AS fab\.(?P<source>\w+)$")
_ALTER = re.compile(r"^ALTER TABLE fab\.(?P<name>\w+) (?P<rest>.*)$", re.S)
_DROP_PARTITION = re.compile(r"^ALTER TABLE fab\.(?P<name>\w+) (?P<rest>DROP PARTITION .*)$", re.S)
_ATTACH_FROM = re.compile(
    r"^ALTER TABLE fab\.(?P<name>\w+) ATTACH PARTITION .* FROM fab\.(?P<source>\w+)$", re.S
)
_SCHEMA = re.compile(r"^(CREATE (DATABASE|TABLE)|ALTER TABLE) ")
_PARTITION_WORK = re.compile(r"^ALTER TABLE fab\.\w+ (DROP|ATTACH|REPLACE) PARTITION ")
_IDENTIFIER = re.compile(r"\{(\w+):Identifier\}")
_CLUSTER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_cluster_name(cluster: str) -> str:
    if not _CLUSTER_NAME.match(cluster):
        raise FabError(f"FAB_CLICKHOUSE_CLUSTER: expected a cluster name like fab, got {cluster!r}")
    return cluster


def _code(statement: str) -> str:
    """The statement without comment lines (schema files comment above each table)."""
    lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
    return "\n".join(lines).strip()


def _is_sharded(table: str, columns: str) -> bool:
    """Facts with a machine are sharded by its site; every other table (dimensions, plant-wide
    facts such as forecasts and plan runs) is small and whole on every node."""
    return table.startswith("fact_") and re.search(r"\bmachine_id\b", columns) is not None


def _identifier(params: Mapping[str, Any] | None, name: str) -> str:
    value = str((params or {}).get(name, ""))
    if not re.fullmatch(r"\w+", value):
        raise FabError(f"cluster DDL: identifier {name} must be a table name, got {value!r}")
    return value


def _replicated(path: str) -> str:
    return f"ReplicatedMergeTree('/clickhouse/tables/{path}', '{{replica}}')"


class ClusterSchema:
    """Rewrites the schema files' statements, in order, for one cluster."""

    def __init__(self, cluster: str, engine_of: Callable[[str], str | None] | None = None) -> None:
        self.cluster = check_cluster_name(cluster)
        self.engine_of = engine_of  # table -> its engine on the server, for tables made earlier
        self.tails: dict[str, str] = {}  # table -> its PARTITION BY / ORDER BY clauses
        self.facts: set[str] = set()

    def route(self, statement: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """Any statement as it must run on the cluster: schema DDL rewritten, a sharded fact's
        day replacement sent to the shards, everything else (INSERT, TRUNCATE, SELECT, and
        partition work on tables whole on every node, which their replicas follow) as it is."""
        code = _IDENTIFIER.sub(lambda m: _identifier(params, m[1]), _code(statement))
        if (m := _DROP_PARTITION.match(code)) and self.is_sharded(m["name"]):
            return [f"ALTER TABLE fab.{m['name']}_local ON CLUSTER {self.cluster} {m['rest']}"]
        if (m := _ATTACH_FROM.match(code)) and self.is_sharded(m["name"]):
            return [f"INSERT INTO fab.{m['name']} SELECT * FROM fab.{m['source']}"]
        if _PARTITION_WORK.match(code) or not _SCHEMA.match(code):
            return [statement]
        return self.rewrite(code)

    def is_sharded(self, table: str) -> bool:
        """A Distributed front over shards: made here, or (in a later process) as the server
        reports its engine."""
        if table in self.facts:
            return True
        if table in self.tails or self.engine_of is None:
            return False
        return self.engine_of(table) == "Distributed"

    def rewrite(self, statement: str) -> list[str]:
        code = _code(statement)
        on = f"ON CLUSTER {self.cluster}"
        if m := _CREATE_DB.match(code):
            return [f"{m[1]} {on}"]
        if m := _CREATE_TABLE.match(code):
            return self._table(m["name"], m["columns"], m["tail"])
        if m := _CREATE_AS.match(code):
            return self._twin(m["name"], m["source"])
        if m := _ALTER.match(code):
            if m["name"] in self.facts:  # the shards' tables and the Distributed front alike
                return [
                    f"ALTER TABLE fab.{m['name']}_local {on} {m['rest']}",
                    f"ALTER TABLE fab.{m['name']} {on} {m['rest']}",
                ]
            return [f"ALTER TABLE fab.{m['name']} {on} {m['rest']}"]
        raise FabError(f"cluster DDL: no rewrite for statement: {code.splitlines()[0]}")

    def _table(self, name: str, columns: str, tail: str) -> list[str]:
        on = f"ON CLUSTER {self.cluster}"
        self.tails[name] = tail
        if not _is_sharded(name, columns):
            engine = _replicated(f"all/fab/{name}")
            table = (
                f"CREATE TABLE IF NOT EXISTS fab.{name} {on} ({columns}) ENGINE = {engine}{tail}"
            )
            return [table, self.site_dictionary()] if name == "dim_machine" else [table]
        self.facts.add(name)
        local = f"{name}_local"
        engine = _replicated(f"{{shard}}/fab/{local}")
        distributed = f"Distributed('{self.cluster}', 'fab', '{local}', {SITE_SHARDING_KEY})"
        return [
            f"CREATE TABLE IF NOT EXISTS fab.{local} {on} ({columns}) ENGINE = {engine}{tail}",
            f"CREATE TABLE IF NOT EXISTS fab.{name} {on} AS fab.{local} ENGINE = {distributed}",
        ]

    def _twin(self, name: str, source: str) -> list[str]:
        on = f"ON CLUSTER {self.cluster}"
        tail = self.tails.get(source)
        if tail is None:
            raise FabError(f"cluster DDL: fab.{name} copies fab.{source}, which is not defined yet")
        if source in self.facts:
            engine = _replicated(f"{{shard}}/fab/{name}")
            return [
                f"CREATE TABLE IF NOT EXISTS fab.{name} {on} AS fab.{source}_local "
                f"ENGINE = {engine}{tail}"
            ]
        engine = _replicated(f"all/fab/{name}")
        return [
            f"CREATE TABLE IF NOT EXISTS fab.{name} {on} AS fab.{source} ENGINE = {engine}{tail}"
        ]

    def site_dictionary(self) -> str:
        """machine_id -> site_id from the replicated dim_machine: the facts' sharding key."""
        return (
            f"CREATE DICTIONARY IF NOT EXISTS {MACHINE_SITE_DICT} ON CLUSTER {self.cluster} "
            "(machine_id String, site_id String) PRIMARY KEY machine_id "
            "SOURCE(CLICKHOUSE(DB 'fab' TABLE 'dim_machine')) "
            "LIFETIME(MIN 300 MAX 600) LAYOUT(COMPLEX_KEY_HASHED())"
        )


def cluster_statements(files: tuple[str, ...], cluster: str) -> list[str]:
    """Every statement of the schema files, rewritten for ``cluster``; the site dictionary
    follows dim_machine so the Distributed facts can shard by it."""
    from warehouse.client import read_sql, split_statements

    schema = ClusterSchema(cluster)
    return [
        out
        for name in files
        for statement in split_statements(read_sql(name))
        for out in schema.rewrite(statement)
    ]
