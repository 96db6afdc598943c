"""The star schema's DDL for a ClickHouse cluster (``FAB_CLICKHOUSE_CLUSTER``).

The schema files describe one server. For a cluster the same statements are rewritten the way
ClickHouse's documentation lays out replicated, sharded tables:

- every DDL runs ``ON CLUSTER <name>``;
- a fact becomes ``<fact>_local``, a ``ReplicatedMergeTree('/clickhouse/tables/{shard}/fab/
  <fact>_local', '{replica}')`` on each shard, plus ``<fact>`` as
  ``Distributed(<cluster>, fab, <fact>_local, <sharding key>)`` over them. The sharding key is
  the site: ``cityHash64(dictGet('fab.machine_site', 'site_id', machine_id))``, so one site's
  rows live on one shard and per-site queries touch one shard;
- a dimension is small and joined by every fact query, so it is replicated whole to every node
  (one replication path for all shards, ``/clickhouse/tables/all/...``) under its own name;
- staging twins get their own replication paths (a twin made ``AS`` a replicated table would
  share its path).

``{shard}`` and ``{replica}`` are server macros (``<macros>`` in each node's config), left for
the server to fill in. Without the setting the schema files run unchanged.
"""

from __future__ import annotations

import re

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
_CLUSTER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_cluster_name(cluster: str) -> str:
    if not _CLUSTER_NAME.match(cluster):
        raise FabError(f"FAB_CLICKHOUSE_CLUSTER: expected a cluster name like fab, got {cluster!r}")
    return cluster


def _code(statement: str) -> str:
    """The statement without comment lines (schema files comment above each table)."""
    lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
    return "\n".join(lines).strip()


def _replicated(path: str) -> str:
    return f"ReplicatedMergeTree('/clickhouse/tables/{path}', '{{replica}}')"


class ClusterSchema:
    """Rewrites the schema files' statements, in order, for one cluster."""

    def __init__(self, cluster: str) -> None:
        self.cluster = check_cluster_name(cluster)
        self.tails: dict[str, str] = {}  # table -> its PARTITION BY / ORDER BY clauses
        self.facts: set[str] = set()

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
        if not name.startswith("fact_"):
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
