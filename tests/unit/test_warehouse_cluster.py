"""The ClickHouse cluster DDL variant (FAB_CLICKHOUSE_CLUSTER) against the forms ClickHouse's
documentation prescribes: ON CLUSTER, ReplicatedMergeTree('/clickhouse/tables/{shard}/...',
'{replica}') with server macros, and Distributed(cluster, database, table, sharding_key)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
import pytest

from fabstack.errors import FabError
from warehouse.build import FACTS, SCHEMA_FILES, ensure_schema, partition_params
from warehouse.client import Warehouse, read_sql, split_statements
from warehouse.cluster import SITE_SHARDING_KEY, ClusterSchema, cluster_statements
from warehouse.writer import replace_partition

# facts with a machine are sharded by its site; plant-wide ones are whole on every node
WHOLE_FACTS = {"fact_wafer_sort", "fact_die_bin"}
SHARDED_FACTS = [f for f in FACTS if f not in WHOLE_FACTS]


class RecordingWarehouse(Warehouse):
    """Keeps the statements it is given: no ClickHouse cluster runs on this machine."""

    kind = "recording"

    def __init__(self) -> None:
        self.statements: list[str] = []

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.statements.append(sql)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        raise AssertionError("DDL only")


@pytest.fixture(scope="module")
def ddl() -> list[str]:
    return cluster_statements(SCHEMA_FILES, "fab_cluster")


def test_without_the_setting_the_schema_files_run_byte_for_byte(monkeypatch) -> None:
    monkeypatch.delenv("FAB_CLICKHOUSE_CLUSTER", raising=False)
    wh = RecordingWarehouse()
    ensure_schema(wh)
    assert wh.statements == [s for f in SCHEMA_FILES for s in split_statements(read_sql(f))]
    assert not any("ON CLUSTER" in s or "Replicated" in s for s in wh.statements)


def test_the_setting_switches_to_the_cluster_ddl(monkeypatch, ddl) -> None:
    monkeypatch.setenv("FAB_CLICKHOUSE_CLUSTER", "fab_cluster")
    wh = RecordingWarehouse()
    assert ensure_schema(wh) == len(ddl)
    assert wh.statements == ddl


def test_every_statement_runs_on_the_cluster(ddl) -> None:
    assert ddl[0] == "CREATE DATABASE IF NOT EXISTS fab ON CLUSTER fab_cluster"
    for statement in ddl:
        assert re.match(
            r"^(CREATE|ALTER) \w+ (IF NOT EXISTS )?fab\.?\w* ON CLUSTER fab_cluster", statement
        ) or (statement.startswith("CREATE DATABASE")), statement
    assert not any(re.search(r"ENGINE = MergeTree\b", s) for s in ddl)  # all replicated


@pytest.mark.parametrize("fact", SHARDED_FACTS)
def test_facts_are_replicated_shards_behind_a_distributed_table_sharded_by_site(ddl, fact) -> None:
    local = next(s for s in ddl if s.startswith(f"CREATE TABLE IF NOT EXISTS fab.{fact}_local "))
    assert (
        f"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/fab/{fact}_local', "
        "'{replica}') PARTITION BY toYYYYMMDD(day) ORDER BY (" in local
    )
    front = next(s for s in ddl if s.startswith(f"CREATE TABLE IF NOT EXISTS fab.{fact} "))
    assert front == (
        f"CREATE TABLE IF NOT EXISTS fab.{fact} ON CLUSTER fab_cluster AS fab.{fact}_local "
        f"ENGINE = Distributed('fab_cluster', 'fab', '{fact}_local', {SITE_SHARDING_KEY})"
    )
    stage = next(s for s in ddl if s.startswith(f"CREATE TABLE IF NOT EXISTS fab.{fact}__stage "))
    assert (
        f"AS fab.{fact}_local ENGINE = ReplicatedMergeTree("
        f"'/clickhouse/tables/{{shard}}/fab/{fact}__stage', '{{replica}}')" in stage
    )
    # the local table is created before the Distributed front that reads it
    assert ddl.index(local) < ddl.index(front)


def test_sharding_key_is_the_site_through_a_dictionary_made_after_dim_machine(ddl) -> None:
    assert SITE_SHARDING_KEY == "cityHash64(dictGet('fab.machine_site', 'site_id', machine_id))"
    dim = next(
        i for i, s in enumerate(ddl) if s.startswith("CREATE TABLE IF NOT EXISTS fab.dim_machine ")
    )
    dictionary = next(i for i, s in enumerate(ddl) if s.startswith("CREATE DICTIONARY"))
    first_fact = next(i for i, s in enumerate(ddl) if "Distributed(" in s)
    assert dim < dictionary < first_fact
    assert "SOURCE(CLICKHOUSE(DB 'fab' TABLE 'dim_machine'))" in ddl[dictionary]


def test_dimensions_are_whole_on_every_node(ddl) -> None:
    dims = [s for s in ddl if re.match(r"CREATE TABLE IF NOT EXISTS fab\.dim_\w+ ", s)]
    assert len(dims) >= 18  # nine dimensions and their staging twins
    for statement in dims:
        name = re.match(r"CREATE TABLE IF NOT EXISTS fab\.(\w+) ", statement)[1]
        assert (
            f"ReplicatedMergeTree('/clickhouse/tables/all/fab/{name}', '{{replica}}')" in statement
        )
        assert "Distributed" not in statement
    assert (
        "ALTER TABLE fab.dim_recipe ON CLUSTER fab_cluster ADD COLUMN IF NOT EXISTS spec_limits"
        in "\n".join(ddl)
    )


@pytest.mark.parametrize("bad", ["fab-1", "fab; DROP", "", "1fab"])
def test_a_bad_cluster_name_is_one_line(bad: str) -> None:
    with pytest.raises(FabError, match="FAB_CLICKHOUSE_CLUSTER: expected a cluster name"):
        cluster_statements(SCHEMA_FILES, bad)


@pytest.mark.parametrize("fact", sorted(WHOLE_FACTS))
def test_a_fact_without_a_machine_is_whole_on_every_node(ddl, fact) -> None:
    table = next(s for s in ddl if s.startswith(f"CREATE TABLE IF NOT EXISTS fab.{fact} "))
    assert f"ReplicatedMergeTree('/clickhouse/tables/all/fab/{fact}', '{{replica}}')" in table
    assert not any(f"fab.{fact}_local" in s for s in ddl)


def _cluster_warehouse(engines: dict[str, str] | None = None) -> RecordingWarehouse:
    wh = RecordingWarehouse()
    wh.cluster = ClusterSchema("fab_cluster", engine_of=(engines or {}).get)
    return wh


def test_a_day_rebuild_drops_on_the_shards_and_inserts_through_the_distributed_table() -> None:
    """ClickHouse: a Distributed table has no partitions, and ATTACH PARTITION FROM joins two
    local tables of one node. So the day is dropped from <fact>_local ON CLUSTER and the staged
    rows go in through the Distributed front, which shards them by site."""
    wh = _cluster_warehouse({"fact_sensor_minute": "Distributed"})
    params = partition_params(date(2026, 3, 1), "UTC", "postgresql://u@h/db")
    wh.run_file("facts/fact_sensor_minute.sql", params)  # what build_fact runs
    text = "\n".join(wh.statements)
    assert (
        "ALTER TABLE fab.fact_sensor_minute_local ON CLUSTER fab_cluster "
        "DROP PARTITION tuple(toYYYYMMDD({day:Date}))"
    ) in wh.statements
    assert "INSERT INTO fab.fact_sensor_minute SELECT * FROM fab.fact_sensor_minute__stage" in (
        wh.statements
    )
    assert "ATTACH PARTITION" not in text
    assert not re.search(r"ALTER TABLE fab\.fact_sensor_minute (ON CLUSTER \w+ )?DROP", text)


def test_the_writer_replaces_a_sharded_partition_on_the_shards_and_a_whole_one_in_place() -> None:
    wh = _cluster_warehouse({"fact_oee_losses": "Distributed", "fact_oee": "ReplicatedMergeTree"})
    replace_partition(wh, "fact_oee_losses", date(2026, 3, 1), pl.DataFrame())
    replace_partition(wh, "fact_oee", date(2026, 3, 1), pl.DataFrame())
    sharded, whole = wh.statements
    assert sharded == (
        "ALTER TABLE fab.fact_oee_losses_local ON CLUSTER fab_cluster "
        "DROP PARTITION tuple(toYYYYMMDD({day:Date}))"
    )
    # whole on every node: one replicated drop, which every replica follows
    assert whole.endswith(
        "ALTER TABLE fab.{table:Identifier} DROP PARTITION tuple(toYYYYMMDD({day:Date}))"
    )


def test_analytics_schemas_are_made_on_the_cluster_too() -> None:
    from assets.oee.build import ensure_oee_schema

    wh = _cluster_warehouse()
    ensure_oee_schema(wh)
    creates = [s for s in wh.statements if s.startswith("CREATE TABLE")]
    assert creates and all("ON CLUSTER fab_cluster" in s for s in creates)
    assert not any(re.search(r"ENGINE = MergeTree\b", s) for s in creates)
    assert any(
        s.startswith("CREATE TABLE IF NOT EXISTS fab.fact_oee_losses_local ") for s in creates
    )
    assert not any("fab.fact_oee_local" in s for s in creates)  # plant-wide rows: whole


def test_a_table_name_that_is_not_an_identifier_is_refused() -> None:
    wh = _cluster_warehouse()
    with pytest.raises(FabError, match="identifier table must be a table name"):
        replace_partition(wh, "x; DROP", date(2026, 3, 1), pl.DataFrame())
