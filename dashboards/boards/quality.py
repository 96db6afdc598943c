"""Quality: defect Pareto, per-type trends with slopes, inspection tools, the wafer map with the
drill-down lot -> wafer -> defect (SEM image, EDX spectrum), signature mix and yield estimate."""

from __future__ import annotations

from dashboards.kit import (
    LANDING,
    WAREHOUSE,
    Board,
    bar_panel,
    link_override,
    partition_by,
    pie_panel,
    plant_variables,
    query_variable,
    stat_panel,
    steps,
    style_override,
    table,
    timeseries_panel,
    xy_panel,
)
from dashboards.sql import live, wh

UID = "fab-quality"


def variables() -> list:
    return [
        *plant_variables(WAREHOUSE),
        query_variable(
            "lot",
            "Lot",
            WAREHOUSE,
            "variables/quality/lot",
            multi=False,
            include_all=False,
            keep_order=True,
        ),
        query_variable(
            "wafer",
            "Wafer",
            WAREHOUSE,
            "variables/quality/wafer",
            multi=False,
            include_all=False,
            keep_order=True,
        ),
        query_variable(
            "defect",
            "Reviewed defect",
            WAREHOUSE,
            "variables/quality/defect",
            multi=False,
            include_all=False,
            keep_order=True,
        ),
    ]


def wafer_map() -> object:
    panel = xy_panel(
        "Wafer map ${wafer}",
        [wh("quality/wafer_map", ref_id="A"), wh("quality/wafer_outline", ref_id="B")],
        description="Defect coordinates on the 300 mm wafer (mm from the centre), one colour "
        "per defect type; the circle is the wafer edge.",
        x_unit="lengthmm",
        y_unit="lengthmm",
        w=12,
        h=14,
        transformations=[partition_by("Type")],
    )
    panel.axis_soft_min(-150).axis_soft_max(150)
    style_override(panel, "Wafer edge", color="#808080")
    panel.display_name("${__field.labels.Type}")
    panel.override_by_name("Wafer edge", _lines())
    return panel


def _lines() -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(id_val="displayName", value="Wafer edge"),
        DynamicConfigValue(id_val="custom.show", value="lines"),
        DynamicConfigValue(id_val="custom.pointSize", value={"fixed": 1}),
    ]


def build() -> dict:
    board = Board(
        UID,
        "Quality",
        "Defects by type, trend and tool; the wafer map with drill-down lot -> wafer -> "
        "defect (SEM image reference and EDX spectrum); signatures and yield estimate.",
        variables=variables(),
        time=("now-7d", "now"),
        tags=["quality", "defects"],
    )
    board.row("Defects").add(
        bar_panel(
            "Defect Pareto",
            wh("quality/pareto"),
            description="Defects by type, largest first; the cumulative share shows "
            "which few types make most defects.",
            x_field="Defect type",
            w=12,
            h=8,
        ).override_by_name("Cumulative share", _right_percent()),
        timeseries_panel(
            "Defects per day by type",
            [wh("quality/trend_daily")],
            description="Daily count per defect type.",
            w=12,
            h=8,
        )
        .with_transformation(partition_by("Type"))
        .display_name("${__field.labels.Type}"),
        table(
            "Trends per type",
            wh("quality/trend_slopes"),
            description="28-day OLS slope (defects per day) with its p-value; rising = "
            "significant at 5 %.",
            units={"Trend per day": "none", "p-value": "none"},
            colors={"Trend": {"rising": "red", "flat": "green", "falling": "blue"}},
            w=12,
            h=8,
        ),
        table(
            "Inspection tools",
            wh("quality/tool_stats"),
            description="Inspections, wafers and defects per inspection tool.",
            units={"Last inspection": "dateTimeAsIso"},
            w=12,
            h=8,
        ),
    )
    yield_map = xy_panel(
        "Stacked yield map (most sorted product)",
        [wh("quality/yield_map_stacked")],
        description="Every die position of the product sorted most in the range, coloured by "
        "the share of its wafers on which the die failed: a signature shared by many wafers "
        "stands out.",
        x_unit="none",
        y_unit="none",
        w=8,
        h=10,
        transformations=[partition_by("Fail share")],
    )
    yield_map.display_name("${__field.labels.Fail share}")
    fit = xy_panel(
        "Yield vs defect density",
        [wh("quality/yield_vs_d0", ref_id="A"), wh("quality/yield_poisson_fit", ref_id="B")],
        description="Die yield of each sorted wafer against its inspection defect density, "
        "with the Poisson model Y = Y0 exp(-A k D0) fitted to them (k: share of defects that "
        "kill a die). A negative-binomial fit is in assets.defects.yield_model.",
        x_unit="none",
        y_unit="percentunit",
        w=8,
        h=10,
    )
    fit.override_by_name("Poisson fit", _lines())
    board.row("Sort yield").add(
        yield_map,
        timeseries_panel(
            "Die yield per day",
            [wh("quality/yield_trend")],
            description="Good dies / tested dies of the wafers sorted each day, per product.",
            w=8,
            h=10,
        )
        .with_transformation(partition_by("Product"))
        .display_name("${__field.labels.Product}"),
        fit,
    )
    board.row("Yield and signatures").add(
        stat_panel(
            "Estimated yield",
            wh("quality/yield"),
            description="Poisson die yield exp(-D0 x die area), mean over lots, and "
            "the defect density D0 (defects per cm2).",
            unit="percentunit",
            decimals=1,
            thresholds=steps((None, "red"), (0.8, "orange"), (0.9, "green")),
            w=6,
            h=8,
        ).override_by_name("Defect density", _unit("none")),
        pie_panel(
            "Signature mix",
            wh("quality/signature_mix"),
            description="Spatial signature of each inspected wafer map.",
            w=6,
            h=8,
        ),
        link_override(
            table(
                "Lots",
                wh("quality/lots"),
                description="Worst estimated yield first. Click a lot to drill down.",
                units={"Estimated yield": "percentunit"},
                w=12,
                h=8,
            ),
            "Lot",
            "Drill down to this lot",
            "/d/fab-quality?var-lot=${__value.raw}&${__url_time_range}",
        ),
    )
    board.row("Drill-down: lot ${lot} -> wafer ${wafer} -> defect ${defect}").add(
        link_override(
            table(
                "Wafers of lot ${lot}",
                wh("quality/wafers_of_lot"),
                description="Click a wafer for its map.",
                units={"Estimated yield": "percentunit"},
                w=12,
                h=14,
            ),
            "Wafer",
            "Show this wafer",
            "/d/fab-quality?var-lot=${lot}&var-wafer=${__value.raw}&${__url_time_range}",
        ),
        wafer_map(),
        link_override(
            table(
                "Defects on wafer ${wafer}",
                wh("quality/wafer_defects"),
                description="Reviewed defects (with a SEM image) first; click one for its "
                "EDX spectrum.",
                units={
                    "X": "lengthmm",
                    "Y": "lengthmm",
                    "Radius": "lengthmm",
                    "Size": "suffix: µm",
                },
                w=12,
                h=10,
            ),
            "Defect",
            "Review this defect",
            "/d/fab-quality?var-lot=${lot}&var-wafer=${wafer}&var-defect=${__value.raw}"
            "&${__url_time_range}",
        ),
        table(
            "Defect ${defect}",
            live("quality/defect_review"),
            description="The reviewed defect and its SEM image reference.",
            units={
                "X": "lengthmm",
                "Y": "lengthmm",
                "Size": "suffix: µm",
                "Inspected": "dateTimeAsIso",
            },
            w=12,
            h=4,
        ),
        bar_panel(
            "EDX spectrum of ${defect}",
            live("quality/edx_spectrum"),
            description="Elements found by energy-dispersive X-ray spectroscopy and "
            "their characteristic peak energies.",
            unit="suffix: keV",
            x_field="Element",
            w=12,
            h=6,
        ),
    )
    return board.build()


def _unit(unit: str) -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [DynamicConfigValue(id_val="unit", value=unit)]


def _right_percent() -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(id_val="unit", value="percentunit"),
        DynamicConfigValue(id_val="custom.axisPlacement", value="right"),
    ]


__all__ = ["LANDING", "build"]
