"""Plant overview: OEE and its factors by area, machine and shift against target; trend; the six
big losses; downtime Pareto; MTBF/MTTR. For managers."""

from __future__ import annotations

from assets.oee.targets import target
from dashboards.kit import (
    WAREHOUSE,
    Board,
    bar_panel,
    link_override,
    plant_variables,
    stat_panel,
    steps,
    table,
    timeseries_panel,
)
from dashboards.sql import wh

UID = "fab-plant"


def _band(percent: float) -> object:
    """Red below target - 10 points, orange below target, green at or above (ratios 0..1)."""
    goal = percent / 100
    return steps((None, "red"), (goal - 0.10, "orange"), (goal, "green"))


def build() -> dict:
    goal = target("plant")
    ratios = {
        "Availability": "percentunit",
        "Performance": "percentunit",
        "Quality": "percentunit",
        "OEE": "percentunit",
    }
    board = Board(
        UID,
        "Plant overview",
        "OEE = Availability x Performance x Quality from additive shift minutes, by area, "
        f"machine and shift, against the plant target ({goal['oee']:.0f}% OEE).",
        variables=plant_variables(WAREHOUSE),
        tags=["oee", "managers"],
    )
    board.row("OEE against target").add(
        stat_panel(
            "OEE",
            wh("plant/oee_kpis"),
            description="Availability x Performance x Quality.",
            unit="percentunit",
            thresholds=_band(goal["oee"]),
            decimals=1,
            w=6,
            field="OEE",
        ),
        stat_panel(
            "Availability",
            wh("plant/oee_kpis"),
            description="Run time / planned production time.",
            unit="percentunit",
            thresholds=_band(goal["availability"]),
            decimals=1,
            w=6,
            field="Availability",
        ),
        stat_panel(
            "Performance",
            wh("plant/oee_kpis"),
            description="Ideal cycle time x total count / run time.",
            unit="percentunit",
            thresholds=_band(goal["performance"]),
            decimals=1,
            w=6,
            field="Performance",
        ),
        stat_panel(
            "Quality",
            wh("plant/oee_kpis"),
            description="Good / total wafers.",
            unit="percentunit",
            thresholds=_band(goal["quality"]),
            decimals=1,
            w=6,
            field="Quality",
        ),
        timeseries_panel(
            "OEE per shift",
            [wh("plant/oee_trend")],
            description="Selected machines pooled, one point per shift, with the plant and "
            "world-class targets.",
            unit="percentunit",
            thresholds=_band(goal["oee"]),
            threshold_lines=True,
            min_val=0,
            max_val=1,
            w=24,
            h=8,
        ),
    )
    board.row("Where OEE is lost").add(
        bar_panel(
            "OEE by area",
            wh("plant/oee_by_area"),
            description="OEE factors per area (selected machines only).",
            unit="percentunit",
            x_field="Area",
            thresholds=_band(goal["oee"]),
            w=12,
        ),
        bar_panel(
            "OEE by shift",
            wh("plant/oee_by_shift"),
            description="Are some shifts systematically worse?",
            unit="percentunit",
            x_field="Shift",
            thresholds=_band(goal["oee"]),
            w=12,
        ),
        link_override(
            table(
                "OEE by machine",
                wh("plant/oee_by_machine"),
                description="Worst first. Click a machine for its detail board.",
                units=ratios | {"Good wafers": "none", "Scrap wafers": "none"},
                w=24,
                h=9,
            ),
            "Machine",
            "Machine detail",
            "/d/fab-machine?var-machine=${__value.raw}&${__url_time_range}",
        ),
        bar_panel(
            "Six big losses",
            wh("plant/six_big_losses"),
            description="Hours lost to each of the six big losses (and idle).",
            unit="h",
            x_field="Loss",
            horizontal=True,
            w=12,
        ),
        table(
            "Downtime Pareto",
            wh("plant/downtime_pareto"),
            description="Downtime by reason, largest first, with the cumulative share.",
            units={"Downtime": "h", "Cumulative share": "percentunit"},
            w=12,
        ),
        table(
            "MTBF and MTTR",
            wh("plant/mtbf_mttr"),
            description="Mean time between failures and to repair (hours) against the "
            "machine type's design figures.",
            units={"MTBF": "h", "MTTR": "h", "Design MTBF": "h", "Design MTTR": "h"},
            w=24,
        ),
    )
    return board.build()
