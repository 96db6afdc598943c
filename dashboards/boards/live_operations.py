"""Live operations: what operators watch, straight from the landing zone (TimescaleDB)."""

from __future__ import annotations

from dashboards.kit import (
    LANDING,
    STATE_COLORS,
    Board,
    bar_panel,
    gauge_bars,
    plant_variables,
    stat_panel,
    state_timeline,
    steps,
    table,
    timeseries_panel,
)
from dashboards.sql import live

UID = "fab-live"


def build() -> dict:
    board = Board(
        UID,
        "Live operations",
        "Current machine states, alarms, safety interlocks and quarantines, and the health of "
        "ingestion (rate, lag, dead letters, spool). Reads the landing zone directly.",
        variables=plant_variables(LANDING),
        time=("now-6h", "now"),
        refresh="30s",
        tags=["live", "operators"],
    )
    board.row("Machines now").add(
        table(
            "Machine states",
            live("live/machine_states"),
            description="Each machine's state at the end of the time range and how long it has "
            "been in it.",
            units={"Since": "dateTimeAsIso", "In state for": "s"},
            colors={"State": STATE_COLORS},
            w=14,
            h=10,
        ),
        bar_panel(
            "Machines by state",
            live("live/state_counts"),
            description="How many of the selected machines are in each state right now.",
            unit="none",
            x_field="State",
            w=10,
            h=10,
        ),
        state_timeline(
            "State timeline",
            live("live/state_timeline"),
            description="Machine states over the time range, one lane per machine.",
            split_by="Machine",
            colors=STATE_COLORS,
        ),
    )
    board.row("Alarms, interlocks and quarantines").add(
        stat_panel(
            "Safety events",
            live("live/safety_counts"),
            description="Safety interlocks, quarantined lots and alarms in the time range.",
            thresholds=steps((None, "green"), (1, "red")),
            w=24,
            h=4,
        ),
        table(
            "Interlocks",
            live("live/interlocks"),
            description="Every interlock: the rule, the reading that tripped it and the action.",
            units={"Time": "dateTimeAsIso"},
            w=12,
            empty="No interlock fired in this range",
        ),
        table(
            "Quarantined lots",
            live("live/quarantines"),
            description="Lots put on hold and why.",
            units={"Time": "dateTimeAsIso"},
            w=12,
            empty="No lot quarantined in this range",
        ),
        table(
            "Alarms",
            live("live/alarms"),
            description="Newest alarms first.",
            units={"Time": "dateTimeAsIso"},
            colors={
                "Severity": {
                    "1": "green",
                    "2": "yellow",
                    "3": "orange",
                    "4": "red",
                    "5": "dark-red",
                }
            },
            w=14,
            empty="No alarm in this range",
        ),
        timeseries_panel(
            "Alarms per hour",
            [live("live/alarms_per_hour", fmt="time_series")],
            description="Alarm count per hour and severity.",
            unit="none",
            bars=True,
            w=10,
            empty="No alarm in this range",
        ),
    )
    board.row("Ingestion").add(
        stat_panel(
            "Ingest",
            live("live/ingest_totals"),
            description="Summed over running ingestors: message and row rates, the worst lag "
            "(machine timestamp to commit), spooled batches, and how many ingestors report.",
            thresholds=steps((None, "green")),
            w=24,
            h=4,
        )
        .override_by_name("Messages per second", _unit("mps"))
        .override_by_name("Rows per second", _unit("wps"))
        # The alert fires above 5 s of lag; orange from 1 s.
        .override_by_name(
            "Worst lag", _unit("ms") + _steps((None, "green"), (1000, "orange"), (5000, "red"))
        )
        .override_by_name("Spooled batches", _steps((None, "green"), (1, "orange")))
        .override_by_name("Ingestors silent", _steps((None, "green"), (1, "red"))),
        timeseries_panel(
            "Rows landed per minute",
            [live("live/rows_per_minute", fmt="time_series")],
            description="The ingest rate as the landing zone sees it, by table.",
            unit="none",
            w=12,
        ),
        gauge_bars(
            "Spool fill per ingestor",
            live("live/ingestors"),
            description="Share of the on-disk spool bound in use; above 0 the database was "
            "unreachable and batches wait for replay.",
            unit="percentunit",
            thresholds=steps((None, "green"), (0.01, "orange"), (0.5, "red")),
            min_val=0,
            max_val=1,
            w=12,
            empty="No ingestor is reporting",
        ),
        table(
            "Ingestors",
            live("live/ingestors"),
            description="One row per ingestor process.",
            units={
                "Last report": "dateTimeAsIso",
                "Messages per second": "mps",
                "Rows per second": "wps",
                "Lag": "ms",
                "Commit time": "ms",
                "Spool size": "bytes",
                "Spool fill": "percentunit",
            },
            colors={"Connection": {"connected": "green", "disconnected": "red"}},
            w=24,
            empty="No ingestor is reporting",
        ),
        stat_panel(
            "Dead letters",
            live("live/dead_letters_total"),
            description="Messages refused in the time range and their rate per hour.",
            thresholds=steps((None, "green"), (1, "orange"), (60, "red")),
            w=6,
            h=8,
        ),
        timeseries_panel(
            "Dead letters per hour",
            [live("live/dead_letters_per_hour", fmt="time_series")],
            description="By error kind (the part of the error before the first colon).",
            unit="none",
            bars=True,
            w=18,
            empty="No dead letter in this range",
        ),
        table(
            "Newest dead letters",
            live("live/dead_letters"),
            description="Where each came from and why it was refused.",
            units={"Received": "dateTimeAsIso"},
            w=24,
            empty="No dead letter in this range",
        ),
    )
    return board.build()


def _steps(*pairs: tuple[float | None, str]) -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [
        DynamicConfigValue(
            id_val="thresholds",
            value={"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in pairs]},
        )
    ]


def _unit(unit: str) -> list:
    from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

    return [DynamicConfigValue(id_val="unit", value=unit)]
