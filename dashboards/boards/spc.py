"""SPC: control charts per machine, item and recipe with centre line, limits and rule violations
marked; violations by rule; the natural spread of the process. For quality engineers."""

from __future__ import annotations

from dashboards.kit import (
    WAREHOUSE,
    Board,
    bar_panel,
    link_override,
    query_variable,
    stat_panel,
    style_override,
    table,
    timeseries_panel,
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
    board.row("Capability").add(
        stat_panel(
            "Process spread",
            wh("spc/capability"),
            description="Centre, within and overall sigma and the 6-sigma natural "
            "tolerance. Cp/Cpk need specification limits, which the plant data does "
            "not carry; the recipe setpoint is shown where one exists.",
            decimals=3,
            w=24,
            h=5,
        ),
    )
    return board.build()
