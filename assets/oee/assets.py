"""Thin Dagster assets over `assets.oee.build`: one day of OEE facts per partition."""

import dagster as dg

from assets.conventions import Domain, layer, table_result
from assets.oee.build import compute_oee_day, ensure_oee_schema, write_oee_day, write_targets
from assets.partitions import daily_partitions, partition_day, plant_timezone
from assets.resources import LandingResource, WarehouseResource

OEE = Domain("oee", ("team:manufacturing-excellence",), frozenset({"clickhouse", "polars"}))
_previous_and_same_day = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=0)
_STATE_DEP = dg.AssetDep("fact_machine_state", partition_mapping=_previous_and_same_day)
_DEPS = [
    _STATE_DEP,
    dg.AssetKey("dim_machine"),
    dg.AssetKey("dim_shift"),
    dg.AssetKey(["landing", "production_count"]),
]

OEE_SPECS = [
    OEE.spec(
        "fact_oee",
        "OEE by machine, area, line and plant, per shift (on the day the shift "
        "ends) and per hour: planned, run and down minutes, good/scrap, availability, "
        "performance, quality and OEE recomputed from summed times at every level.",
        deps=_DEPS,
    ),
    OEE.spec(
        "fact_oee_losses",
        "Six big losses (breakdowns, setup and adjustment, small stops, reduced "
        "speed, start-up rejects, production rejects) plus idle, minutes per machine and shift.",
        deps=_DEPS,
    ),
    OEE.spec(
        "fact_downtime_pareto",
        "Downtime minutes and occurrences by reason code per machine and for the "
        "plant, ranked with share and cumulative share.",
        deps=_DEPS,
    ),
    OEE.spec(
        "fact_mtbf_mttr",
        "Failures, breakdown and run minutes per machine and day, with MTBF and "
        "MTTR in hours (sum minutes and failures over any period for the period's figures).",
        deps=_DEPS,
    ),
]


@OEE.multi_asset("oee_facts", OEE_SPECS, daily_partitions())
def oee_facts(
    context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
):
    day = partition_day(context)
    with warehouse.open() as wh, landing.connect() as conn:
        frames = compute_oee_day(wh, conn, day, plant_timezone())
        rows = write_oee_day(wh, day, frames)
    oee_rows = frames.oee
    plant = oee_rows.filter((oee_rows["grain"] == "shift") & (oee_rows["level"] == "plant"))
    context.log.info("OEE %s: %s", day, rows)
    for table, n in rows.items():
        meta = {}
        if table == "fact_oee" and plant.height:
            oee = plant["oee"].drop_nulls()
            if oee.len():
                meta["plant_oee_mean_of_shifts"] = dg.MetadataValue.float(float(oee.mean()))
        yield table_result(table, n, **meta)


@OEE.asset(
    "dim_oee_target",
    "OEE targets as data (percent): world class (85/90/95/99) and the plant's own "
    "(75/85/90/98), for reference lines on boards and the OEE alert.",
    kinds={"clickhouse"},
    tags=layer("dimension"),
)
def dim_oee_target(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.open() as wh:
        ensure_oee_schema(wh)
        n = write_targets(wh)
    return table_result("dim_oee_target", n)
