"""Planning: the nightly CP-SAT schedule as a Gantt per machine, each lot's planned completion
against its due time, utilisation and the bottleneck, and the dispatch list. For planners."""

from __future__ import annotations

from dashboards.kit import (
    LANDING,
    Board,
    fan_panel,
    gauge_bars,
    plant_variables,
    query_variable,
    stat_panel,
    state_timeline,
    steps,
    table,
)
from dashboards.sql import live, wh

UID = "fab-planning"


def build() -> dict:
    variables = [
        *plant_variables(LANDING, recipe=True),
        query_variable(
            "plan",
            "Plan",
            LANDING,
            "variables/planning/plan",
            multi=False,
            include_all=False,
            keep_order=True,
        ),
    ]
    board = Board(
        UID,
        "Planning",
        "The stored production plan (CP-SAT flexible job shop over shift calendars, setups, "
        "due dates and priorities): Gantt, lot completion against due, utilisation and "
        "bottleneck.",
        variables=variables,
        time=("now-2h", "now+2d"),
        tags=["planning", "planners"],
    )
    board.row("Plan ${plan}").add(
        stat_panel(
            "Plan",
            live("planning/plan_kpis"),
            description="Solver status, lots on time and late, makespan, weighted "
            "tardiness, optimality gap and the bottleneck machine.",
            thresholds=steps((None, "green")),
            field="/.*/",
            w=24,
            h=4,
        )
        .override_by_name("Makespan", _unit("s"))
        .override_by_name("Optimality gap", _unit("percentunit"))
        .override_by_name("Late", _thresholds_late()),
        state_timeline(
            "Schedule (Gantt)",
            live("planning/gantt"),
            description="Per machine, each planned slot labelled lot (recipe); "
            "colours follow the lot.",
            split_by="Machine",
            w=24,
            h=11,
        ),
    )
    board.row("Lots and bottleneck").add(
        table(
            "Lot completion against due",
            live("planning/lot_completion"),
            description="Planned completion per lot, tightest slack first.",
            units={
                "Planned start": "dateTimeAsIso",
                "Planned completion": "dateTimeAsIso",
                "Due": "dateTimeAsIso",
                "Slack": "s",
            },
            colors={"Plan says": {"on time": "green", "late": "red"}, "Hot lot": {"hot": "orange"}},
            w=14,
            h=9,
        ),
        gauge_bars(
            "Utilisation and bottleneck",
            live("planning/utilisation"),
            description="Busy share of each machine's available time; the top one is "
            "the bottleneck.",
            unit="percentunit",
            min_val=0,
            max_val=1,
            thresholds=steps((None, "green"), (0.7, "orange"), (0.9, "red")),
            w=10,
            h=9,
        ),
        table(
            "On-time probability per lot",
            wh("planning/on_time"),
            description="The plan executed 1,000+ times under random durations and "
            "breakdowns: the probability each lot meets its due date, lowest first.",
            units={
                "On-time probability": "percentunit",
                "Planned completion": "dateTimeAsIso",
                "Completion P50": "dateTimeAsIso",
                "Completion P90": "dateTimeAsIso",
                "Due": "dateTimeAsIso",
            },
            colors={"Plan says": {"on time": "green", "late": "red"}},
            w=24,
            h=9,
        ),
        table(
            "Dispatch list",
            live("planning/dispatch"),
            description="Slots per machine in planned order.",
            units={"Start": "dateTimeAsIso", "End": "dateTimeAsIso", "Setup": "s"},
            w=24,
            h=9,
        ),
    )
    board.row("Capacity forecast (Monte Carlo)").add(
        stat_panel(
            "Line output forecast",
            wh("planning/capacity_line"),
            description="Wafers the line finishes over the horizon: P10, P50, P90, and the "
            "area that most often limits it.",
            field="/.*/",
            w=24,
            h=4,
        ).override_by_name("Horizon", _unit("d")),
        _forecast_window(
            fan_panel(
                "Line output over the horizon: P10-P90 around P50",
                wh("planning/capacity_fan"),
                description="Wafers finishing their route, cumulative by the end of each day "
                "of the forecast horizon (10,000 seeded simulations): the light band holds 80 % "
                "of the outcomes (P10-P90), the dark one 50 % (P25-P75), the line is the median.",
                unit="none",
                w=14,
                h=9,
            )
        ),
        gauge_bars(
            "Bottleneck",
            wh("planning/bottleneck"),
            description="Share of simulations in which each machine limits the line.",
            unit="percentunit",
            min_val=0,
            max_val=1,
            thresholds=steps((None, "green"), (0.2, "orange"), (0.5, "red")),
            w=10,
            h=9,
        ),
        _forecast_window(
            fan_panel(
                "Area ${area}: output over the horizon",
                wh("planning/capacity_fan_area"),
                description="Wafer passes through the area, cumulative by the end of each day "
                "of the forecast horizon: P10-P90 and P25-P75 bands around the median.",
                unit="none",
                color="purple",
                w=8,
                h=7,
            )
            .repeat("area")
            .repeat_direction("h")
        ),
    )
    return board.build()


def _forecast_window(panel):
    """The forecast's own time window, whatever the board's: from a day back (the nightly
    forecast starts its day 1 on its run day) to 30 days ahead."""
    return panel.time_from("+31d").time_shift("1d")


def _unit(unit: str) -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [DynamicConfigValue(id_val="unit", value=unit)]


def _thresholds_late() -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(
            id_val="thresholds",
            value={
                "mode": "absolute",
                "steps": [{"value": None, "color": "green"}, {"value": 1, "color": "red"}],
            },
        )
    ]
