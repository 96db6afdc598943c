"""SPC: control charts per machine, item and recipe with centre line, limits and rule violations
marked; violations by rule; spread and capability (Cp/Cpk, Pp/Ppk against the recipes' spec
limits). For quality engineers."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from dashboards.kit import (
    WAREHOUSE,
    Board,
    bar_panel,
    link_override,
    query_variable,
    stat_panel,
    steps,
    style_override,
    table,
    timeseries_panel,
    unit_override,
)
from dashboards.sql import wh

UID = "fab-spc"


def variables() -> list:
    return [
        query_variable("site", "Site", WAREHOUSE, "variables/warehouse/site"),
        query_variable("area", "Area", WAREHOUSE, "variables/warehouse/area"),
        query_variable(
            "machine", "Machine", WAREHOUSE, "variables/spc/machine", multi=False, include_all=False
        ),
        query_variable(
            "item", "Item", WAREHOUSE, "variables/spc/item", multi=False, include_all=False
        ),
        query_variable(
            "recipe", "Recipe", WAREHOUSE, "variables/spc/recipe", multi=False, include_all=False
        ),
        query_variable("chart", "Chart", WAREHOUSE, "variables/spc/chart"),
    ]


def control_chart() -> object:
    panel = timeseries_panel(
        "Control chart ${chart}",
        [wh("spc/control_chart")],
        description="The plotted statistic with the centre line and the frozen limits in force "
        "at each point; red markers are points that broke a Western Electric / Nelson rule.",
        unit="none",
        w=24,
        h=9,
        points=False,
    )
    panel.repeat("chart").repeat_direction("v")
    style_override(panel, "Rule violation", color="red", points=True, size=10)
    style_override(panel, "Centre line", color="green", dashed=True, step=True)
    style_override(panel, "Lower control limit", color="orange", dashed=True, step=True)
    style_override(panel, "Upper control limit", color="orange", dashed=True, step=True)
    return panel


# Process capability: below 1.0 the process makes out-of-spec parts, 1.33 is the usual minimum.
CAPABILITY_STEPS = ((None, "red"), (1.0, "yellow"), (1.33, "green"))
INDICES = ("Cp", "Cpk", "Pp", "Ppk", "Cpm")


def capability_panels() -> list:
    indices = stat_panel(
        "Capability of ${item}",
        wh("spc/capability"),
        description="Cp/Cpk: the spec width against the process's within sigma (the control "
        "limits'), i.e. what it could do; Pp/Ppk: against the overall sigma of the last 7 days, "
        "what it did; Cpm also penalises distance from the target. Red below 1.0, yellow "
        "below 1.33, green above. Empty where the recipe sets no spec limits.",
        thresholds=steps(*CAPABILITY_STEPS),
        decimals=2,
        field="/^(" + "|".join(INDICES) + ")$/",
        w=10,
        h=5,
    ).no_value("no spec limits")
    spread = stat_panel(
        "Specification and spread",
        wh("spc/capability"),
        description="Spec limits and target of the recipe's measured parameter, mean, within "
        "sigma (of the control limits) and overall sigma of the last 7 days, in the unit shown.",
        thresholds=steps((None, "blue")),
        decimals=3,
        field="/^(?!(" + "|".join(INDICES) + ")$).*/",  # the other half of the same query
        w=14,
        h=5,
    )
    unit_override(spread, {"Points": "none", "Window": "d"})
    table_panel = link_override(
        table(
            "Capability of every specified series",
            wh("spc/capability_series"),
            description="Series whose recipe sets spec limits, worst Cpk first: the spec, "
            "the spread and the indices (red < 1.0, yellow < 1.33, green otherwise).",
            units={"Points": "none"},
            w=24,
            h=8,
        ),
        "Item",
        "Open this chart",
        "/d/fab-spc?var-machine=${__data.fields.Machine}&var-item=${__value.raw}"
        "&var-recipe=${__data.fields.Recipe}&${__url_time_range}",
    )
    for column in INDICES[:4]:
        table_panel.override_by_name(
            column,
            [
                DynamicConfigValue(id_val="unit", value="none"),
                DynamicConfigValue(id_val="decimals", value=2),
                DynamicConfigValue(id_val="thresholds", value=steps(*CAPABILITY_STEPS).build()),
                DynamicConfigValue(id_val="color", value={"mode": "thresholds"}),
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"}),
            ],
        )
    return [indices, spread, table_panel]


def build() -> dict:
    board = Board(
        UID,
        "SPC",
        "Control charts (X-bar/R, X-bar/S, I-MR, c) against frozen Phase I limits, with "
        "Western Electric rules 1-4 and Nelson rules 5-8.",
        variables=variables(),
        tags=["spc", "quality"],
    )
    board.row("Control charts").add(control_chart())
    board.row("Rule violations").add(
        bar_panel(
            "Violations by rule",
            wh("spc/violations_by_rule"),
            description="Every series of the selected machine, by rule.",
            x_field="Rule",
            horizontal=True,
            w=10,
            h=8,
        ),
        table(
            "Violations",
            wh("spc/violations"),
            description="Newest first: the rule broken, the value and how many sigma out.",
            units={"Time": "dateTimeAsIso", "Sigma from centre": "none"},
            w=14,
            h=8,
            empty="No rule violation in this range",
        ),
        link_override(
            table(
                "Series of the machine",
                wh("spc/series_status"),
                description="Points, violations and current limits of each series.",
                units={"Share out of control": "percentunit"},
                w=24,
                h=8,
            ),
            "Item",
            "Open this chart",
            "/d/fab-spc?var-machine=${__data.fields.Machine}&var-item=${__value.raw}"
            "&${__url_time_range}",
        ),
    )
    board.row("Capability").add(*capability_panels())
    return board.build()
