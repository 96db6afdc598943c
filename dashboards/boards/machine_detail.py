"""Machine detail: one machine's states, sensors against their limits, SPC series and
violations, anomaly scores, failure risk and health. Reached from every board's machine links."""

from __future__ import annotations

from assets.oee.targets import target
from dashboards.kit import (
    RISK_COLORS,
    STATE_COLORS,
    WAREHOUSE,
    Board,
    link_override,
    pie_panel,
    plant_variables,
    query_variable,
    stat_panel,
    state_timeline,
    steps,
    style_override,
    table,
    timeseries_panel,
)
from dashboards.sql import live, wh

UID = "fab-machine"
DEFAULT_MACHINE = "LITHO-01"


def build() -> dict:
    goal = target("plant")["oee"] / 100
    variables = plant_variables(WAREHOUSE, single_machine=True, machine_default=DEFAULT_MACHINE)
    variables.append(
        query_variable("metric", "Sensor metric", WAREHOUSE, "variables/machine/metric")
    )
    board = Board(
        UID,
        "Machine detail",
        "One machine: state timeline, sensors against their limits, SPC charts with rule "
        "violations, anomaly scores, failure risk and health.",
        variables=variables,
        tags=["machine", "engineers"],
    )
    board.row("State and OEE").add(
        stat_panel(
            "OEE",
            wh("machine/oee_kpis"),
            description="A x P x Q over the range.",
            unit="percentunit",
            decimals=1,
            field="OEE",
            thresholds=steps((None, "red"), (goal - 0.1, "orange"), (goal, "green")),
            w=6,
        ),
        stat_panel(
            "Availability",
            wh("machine/oee_kpis"),
            description="Run / planned time.",
            unit="percentunit",
            decimals=1,
            field="Availability",
            w=6,
        ),
        stat_panel(
            "Performance",
            wh("machine/oee_kpis"),
            description="Ideal / actual run.",
            unit="percentunit",
            decimals=1,
            field="Performance",
            w=6,
        ),
        stat_panel(
            "Quality",
            wh("machine/oee_kpis"),
            description="Good / total wafers.",
            unit="percentunit",
            decimals=1,
            field="Quality",
            w=6,
        ),
        state_timeline(
            "State timeline",
            wh("machine/state_timeline"),
            description="States over the range (from the warehouse's intervals).",
            split_by="Machine",
            colors=STATE_COLORS,
            w=18,
            h=6,
        ),
        pie_panel(
            "Time in state",
            wh("machine/time_in_state"),
            description="Hours in each state over the range.",
            unit="h",
            w=6,
            h=6,
        ),
    )
    sensor = timeseries_panel(
        "Sensor ${metric}",
        [wh("machine/sensor", ref_id="A"), live("machine/sensor_limits", ref_id="B")],
        description="Per-interval mean with min and max (warehouse minute aggregates) and the "
        "metric's setpoint and limits (landing-zone reference data).",
        w=12,
        h=8,
    )
    sensor.repeat("metric").repeat_direction("h")
    style_override(sensor, "Upper limit", color="red", dashed=True)
    style_override(sensor, "Lower limit", color="red", dashed=True)
    style_override(sensor, "Setpoint", color="green", dashed=True)
    board.row("Sensors").add(sensor)
    board.row("SPC").add(
        link_override(
            table(
                "SPC series",
                wh("machine/spc_series"),
                description="Each control chart of the machine; click an item for its chart.",
                w=14,
                h=8,
            ),
            "Item",
            "Control chart",
            "/d/fab-spc?var-machine=${machine}&var-item=${__value.raw}&${__url_time_range}",
        ),
        timeseries_panel(
            "Rule violations per day",
            [wh("machine/spc_violations_per_day")],
            description="Western Electric (1-4) and Nelson (5-8) rule violations.",
            bars=True,
            w=10,
            h=8,
            empty="No rule violation in this range",
        ),
    )
    anomaly = timeseries_panel(
        "Anomaly score",
        [wh("machine/anomaly_scores")],
        description="Isolation Forest score per hourly sensor window (contamination 0.05); "
        "red markers are windows flagged as anomalous.",
        w=12,
        h=8,
    )
    style_override(anomaly, "Anomaly", color="red", points=True)
    board.row("Maintenance").add(
        stat_panel(
            "Failure risk now",
            wh("machine/risk_now"),
            description="Latest probability of an unplanned down event within the "
            "horizon (7 days), its band and the health score.",
            unit="percentunit",
            decimals=2,
            thresholds=steps((None, "green"), (0.4, "orange"), (0.7, "red")),
            field="/.*/",
            w=12,
            h=4,
        )
        .override_by_name("Health score", _health())
        .mappings(_bands()),
        anomaly,
        timeseries_panel(
            "Health and risk per day",
            [wh("machine/health_trend")],
            description="Health 0-100 (100 - 70 x risk - 30 x anomaly rate) and the "
            "failure probability.",
            w=12,
            h=8,
        ).override_by_name("Failure probability", _axis_right()),
        table(
            "Why this risk",
            wh("machine/risk_drivers"),
            description="Latest scores with the recommended action and top features.",
            units={"Failure probability": "percentunit"},
            colors={"Risk band": RISK_COLORS},
            w=12,
            h=8,
        ),
    )
    return board.build()


def _health() -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(id_val="unit", value="none"),
        DynamicConfigValue(
            id_val="thresholds",
            value={
                "mode": "absolute",
                "steps": [
                    {"value": None, "color": "red"},
                    {"value": 50, "color": "orange"},
                    {"value": 80, "color": "green"},
                ],
            },
        ),
    ]


def _axis_right() -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(id_val="unit", value="percentunit"),
        DynamicConfigValue(id_val="custom.axisPlacement", value="right"),
    ]


def _bands() -> list:
    from dashboards.kit import value_colors

    return value_colors(RISK_COLORS)
