"""Thin Dagster assets over `warehouse.build`: one asset per star-schema table.

Dimensions are rebuilt whole; facts are partitioned by plant-local day and each run replaces
exactly its day. Every materialization reports rows, partition bytes and the time range.
"""

from datetime import datetime

import dagster as dg

from assets.conventions import Domain, layer, table_result
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource, WarehouseResource
from warehouse.build import build_dim, build_fact, ensure_schema

WAREHOUSE = Domain("warehouse", ("team:data-engineering",), frozenset({"clickhouse", "sql"}))


# The data-quality domain's per-day gate: its blocking checks stop a bad day before the facts.
# Without that domain loaded the key is an external placeholder (see orchestration.definitions).
DATA_QUALITY_GATE = dg.AssetKey("landing_partition")


def landing_key(table: str) -> dg.AssetKey:
    """Asset key of a landing-zone table (an external source asset)."""
    return dg.AssetKey(["landing", table])


# name -> (business description, landing tables read, warehouse tables read)
DIM_SPECS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "dim_machine": (
        "Every tool on the floor with its type, area, line and site, the ideal cycle time OEE "
        "performance is measured against, and the failure rates it was specified with.",
        ("machine", "machine_type", "area", "site"),
        (),
    ),
    "dim_date": (
        "The plant calendar: one row per day with week, month, quarter and weekend flag, "
        "for grouping every board by calendar period.",
        (),
        (),
    ),
    "dim_shift": (
        "Every shift the plant has worked or will work: start and end in UTC following the "
        "plant's time zone (night shifts over a clock change are 7 or 9 hours), break minutes "
        "and the planned production minutes OEE availability is based on.",
        ("shift_calendar", "shift_break"),
        (),
    ),
    "dim_recipe": (
        "Process recipes: which tool type runs them, their family (for setup changes), the "
        "nominal process time, setpoints and the specification limits (LSL, target, USL) of "
        "the parameters measured after them.",
        ("recipe",),
        (),
    ),
    "dim_product": (
        "Products made in the fab with die size and the number of route steps.",
        ("product", "route_step"),
        (),
    ),
    "dim_lot": (
        "Lots (the jobs planning schedules): product, wafer count, priority, hot-lot flag, "
        "release and due dates, status.",
        ("lot",),
        (),
    ),
    "dim_wafer": (
        "Every wafer with its lot, slot and product: the key of the digital thread.",
        ("wafer", "lot"),
        (),
    ),
    "dim_defect_type": (
        "Defect classes inspection reports, with severity and the colour boards draw them in.",
        ("defect_type",),
        (),
    ),
    "dim_state_reason": (
        "Machine-state reason codes and the OEE loss category each one counts as (run, small "
        "stop, idle, setup, breakdown, planned stop, not scheduled).",
        ("state_reason",),
        (),
    ),
}

FACT_SPECS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "fact_machine_state": (
        "How each tool spent the day: state intervals (running, idle, setup, down, maintenance, "
        "offline) with reason and OEE loss category, cut at shift boundaries so the hours add "
        "up per shift and per day. The base of availability and downtime boards.",
        ("machine_state",),
        ("dim_shift", "dim_state_reason"),
    ),
    "fact_sensor_minute": (
        "Tool sensor readings condensed to one row per machine, metric and minute (count, min, "
        "max, mean, standard deviation): the input of SPC charts, anomaly scores and the "
        "failure model.",
        ("sensor_reading",),
        (),
    ),
    "fact_production_hourly": (
        "Good and scrap wafers per tool and hour, with the shift they belong to and the ideal "
        "processing time they represent (OEE performance and quality).",
        ("production_count",),
        ("dim_machine", "dim_shift"),
    ),
    "fact_inspection": (
        "Every wafer inspection with the number of defects found, by tool, lot and product.",
        ("inspection",),
        ("dim_lot",),
    ),
    "fact_defect": (
        "Every defect found: wafer position, radius, size and class, with its lot and "
        "inspection tool. Feeds defect Pareto charts and wafer maps.",
        ("defect", "inspection"),
        (),
    ),
    "fact_wafer_history": (
        "The digital thread: every step each wafer went through, on which tool, with which "
        "recipe and when, with the tool's sensor summary during the step, the wafer's process "
        "measurements and what inspection found. What `fab trace WAFER_ID` shows.",
        ("lot_move", "process_measurement", "inspection", "defect"),
        ("dim_wafer", "fact_sensor_minute"),
    ),
    "fact_wafer_sort": (
        "Every wafer sorted (probed) that day: dies, failed dies and die yield, by lot, "
        "product and test program. Yield trends and yield against defect density.",
        ("sort_map",),
        ("dim_lot",),
    ),
    "fact_die_bin": (
        "Every die's sort bin (pass/fail and bin code) at its row and column: the yield maps, "
        "stacked by lot or product.",
        ("sort_result", "sort_map"),
        ("dim_lot",),
    ),
}

LANDING_TABLES: tuple[str, ...] = tuple(
    sorted({t for _, tables, _ in (*DIM_SPECS.values(), *FACT_SPECS.values()) for t in tables})
)


def _deps(landing_tables: tuple[str, ...], warehouse_tables: tuple[str, ...]) -> list:
    return [landing_key(t) for t in landing_tables] + [dg.AssetKey(t) for t in warehouse_tables]


def _dim_asset(name: str) -> dg.AssetsDefinition:
    description, landing_tables, warehouse_tables = DIM_SPECS[name]

    @WAREHOUSE.asset(
        name, description, deps=_deps(landing_tables, warehouse_tables), tags=layer("dimension")
    )
    def _dimension(
        context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with warehouse.open() as wh:
            ensure_schema(wh)
            rows = build_dim(wh, name, landing.url(), plant_timezone())
            size = wh.scalar(
                "SELECT sum(bytes_on_disk) FROM system.parts WHERE active "
                "AND database = 'fab' AND table = {table:String}",
                {"table": name},
            )
        context.log.info("fab.%s rebuilt: %d rows", name, rows)
        return table_result(name, rows, bytes=dg.MetadataValue.int(int(size or 0)))

    return _dimension


def _timestamp(value: datetime | None) -> dg.MetadataValue:
    return dg.MetadataValue.text(value.isoformat() if value else "-")


def _fact_asset(name: str) -> dg.AssetsDefinition:
    description, landing_tables, warehouse_tables = FACT_SPECS[name]

    @WAREHOUSE.asset(
        name,
        description,
        deps=[*_deps(landing_tables, warehouse_tables), DATA_QUALITY_GATE],
        partitions_def=daily_partitions(),
    )
    def _fact(
        context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        day = partition_day(context)
        with warehouse.open() as wh:
            ensure_schema(wh)
            stats = build_fact(wh, name, day, landing.url(), plant_timezone())
        context.log.info(
            "fab.%s partition %s replaced: %d rows, %d bytes", name, day, stats.rows, stats.bytes
        )
        return table_result(
            name,
            stats.rows,
            partition=dg.MetadataValue.text(day.isoformat()),
            partition_bytes=dg.MetadataValue.int(stats.bytes),
            first_ts=_timestamp(stats.first_ts),
            last_ts=_timestamp(stats.last_ts),
        )

    return _fact


def dimension_assets() -> list[dg.AssetsDefinition]:
    return [_dim_asset(name) for name in DIM_SPECS]


def fact_assets() -> list[dg.AssetsDefinition]:
    return [_fact_asset(name) for name in FACT_SPECS]


def landing_source_specs() -> list[dg.AssetSpec]:
    """The landing tables as external assets (written by ingestion, not by Dagster)."""
    return [
        dg.AssetSpec(
            landing_key(table),
            description=f"Landing-zone table landing.{table} in PostgreSQL, written by ingestion.",
            group_name="landing",
            kinds={"postgres"},
        )
        for table in LANDING_TABLES
    ]
