"""Maintenance: failure risk by band with recommended actions, health scores, anomalies, and the
failure model's versions and metrics. For maintenance planners and ML engineers."""

from __future__ import annotations

from dashboards.kit import (
    RISK_COLORS,
    WAREHOUSE,
    Board,
    bar_panel,
    link_override,
    partition_by,
    plant_variables,
    stat_panel,
    steps,
    table,
    timeseries_panel,
)
from dashboards.sql import live, wh

UID = "fab-maintenance"


def build() -> dict:
    board = Board(
        UID,
        "Maintenance",
        "Daily failure risk per machine from the promoted model (HIGH > 0.7, MEDIUM > 0.4) "
        "with recommended actions, health scores, sensor anomalies and model metrics.",
        variables=plant_variables(WAREHOUSE),
        time=("now-14d", "now"),
        tags=["maintenance", "ml"],
    )
    board.row("Risk").add(
        bar_panel(
            "Machines by risk band",
            wh("maintenance/risk_bands"),
            description="On the latest scored day.",
            x_field="Risk band",
            w=8,
            h=9,
        ),
        link_override(
            table(
                "Failure risk and recommended action",
                wh("maintenance/risk_table"),
                description="Worst first: probability of an unplanned down event within "
                "the horizon, the action it calls for and the features driving it.",
                units={"Failure probability": "percentunit", "Horizon": "d"},
                colors={"Risk band": RISK_COLORS},
                w=16,
                h=9,
            ),
            "Machine",
            "Machine detail",
            "/d/fab-machine?var-machine=${__value.raw}&${__url_time_range}",
        ),
    )
    board.row("Health").add(
        table(
            "Health scores",
            wh("maintenance/health_table"),
            description="100 - 70 x risk - 30 x min(1, anomaly rate / 0.25); lowest first.",
            units={"Failure probability": "percentunit", "Anomaly rate (7 days)": "percentunit"},
            colors={"Risk band": RISK_COLORS},
            w=10,
            h=9,
        ),
        timeseries_panel(
            "Health per day",
            [wh("maintenance/health_trend")],
            description="Health score per machine.",
            min_val=0,
            max_val=100,
            thresholds=steps((None, "red"), (50, "orange"), (80, "green")),
            threshold_lines=True,
            w=14,
            h=9,
        )
        .with_transformation(partition_by("Machine"))
        .display_name("${__field.labels.Machine}"),
        timeseries_panel(
            "Anomalous hours per day",
            [wh("maintenance/anomalies_per_day")],
            description="Hourly sensor windows the Isolation Forest flagged.",
            bars=True,
            w=24,
            h=7,
            empty="No anomaly in this range",
        )
        .with_transformation(partition_by("Machine"))
        .display_name("${__field.labels.Machine}"),
    )
    board.row("Failure model").add(
        stat_panel(
            "Promoted model",
            live("maintenance/promoted_model"),
            description="The version that scores the risk, with its test metrics.",
            decimals=3,
            field="/.*/",
            w=24,
            h=4,
        ),
        table(
            "Model versions",
            live("maintenance/models"),
            description="Every trained version: test metrics against the baseline and the "
            "time-ordered data windows.",
            units={"Created": "dateTimeAsIso", "Horizon": "d", "Mean warning lead time": "h"},
            colors={"Status": {"promoted": "green"}},
            w=24,
            h=8,
        ),
    )
    return board.build()
