"""Thin Dagster assets over `assets.defects.build`: one day of defect facts per partition."""

import dagster as dg

from assets.conventions import WAREHOUSE_POOL, layer
from assets.defects.build import compute_defect_day, write_defect_day
from assets.partitions import daily_partitions, partition_day
from assets.resources import WarehouseResource

GROUP = "defects"
KINDS = {"clickhouse", "polars", "scikit-learn"}
OWNERS = ["team:quality-engineering"]
POOL = WAREHOUSE_POOL
_DEPS = [dg.AssetKey("fact_defect"), dg.AssetKey("fact_inspection"), dg.AssetKey("dim_product")]

_DESCRIPTIONS = {
    "fact_defect_pareto": "Defects of the day by type, by inspection tool and by route step, "
    "largest first, with share and cumulative share.",
    "fact_defect_trends": "Per defect type: the day's count, its 7-day rolling mean and the "
    "linear trend (slope per day, p-value, statsmodels OLS) over the last 28 days.",
    "fact_defect_tool_stats": "Per inspection tool: inspections, wafers, defects, mean defects "
    "per wafer and the last inspection of the day.",
    "fact_wafer_signature": "The spatial signature of every inspected wafer map (none, random, "
    "center, donut, edge-ring, edge-loc, loc, scratch, near-full) with the classifier's "
    "confidence.",
    "fact_defect_yield": "Defect density D0 (defects/cm2) and the Poisson die-yield estimate "
    "exp(-D0 x die area) per inspected wafer and per lot.",
}
DEFECT_SPECS = [
    dg.AssetSpec(
        name,
        deps=_DEPS,
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
        tags=layer("fact"),
        description=text,
    )
    for name, text in _DESCRIPTIONS.items()
]


@dg.multi_asset(
    specs=DEFECT_SPECS, partitions_def=daily_partitions(), pool=POOL, name="defect_facts"
)
def defect_facts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    day = partition_day(context)
    with warehouse.open() as wh:
        frames = compute_defect_day(wh, day)
        rows = write_defect_day(wh, day, frames)
    context.log.info("defects %s: %s", day, rows)
    signatures = frames["fact_wafer_signature"]
    for table, n in rows.items():
        meta = {"dagster/row_count": dg.MetadataValue.int(n)}
        if table == "fact_wafer_signature" and signatures.height:
            counts = signatures["signature"].value_counts().sort("signature")
            meta["signatures"] = dg.MetadataValue.json(
                {r["signature"]: int(r["count"]) for r in counts.iter_rows(named=True)}
            )
        yield dg.MaterializeResult(asset_key=table, metadata=meta)
