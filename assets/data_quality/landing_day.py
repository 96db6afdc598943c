"""Read one plant-local day of the landing zone into small frames for the suites.

A day is the plant's local calendar day (the Dagster partition), i.e. a UTC window that
is 23, 24 or 25 hours long. Row-level tables come back whole; sensor readings come back as a
per machine/metric profile, because a day holds millions of them and the profile decides
every rule exactly (see ``sql/sensor_reading_profile.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import psycopg

from fabstack.calendar import day_window
from fabstack.sqlfile import SqlFolder

SQL = SqlFolder(Path(__file__).parent / "sql")

# Row-level tables checked per day, in the order the report lists them.
ROW_TABLES: tuple[str, ...] = (
    "machine_state",
    "production_count",
    "lot_move",
    "inspection",
    "defect",
)


@dataclass(frozen=True)
class DayWindow:
    """The UTC instants [start, end) of one plant-local day."""

    day: date
    start: datetime
    end: datetime

    @classmethod
    def of(cls, day: date, timezone: str) -> DayWindow:
        return cls(day, *day_window(day, timezone))

    def params(self) -> dict[str, datetime]:
        return {"start": self.start, "end": self.end}


def read_frame(conn: psycopg.Connection, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with driver parameters and return the rows as a pandas frame."""
    with conn.cursor() as cur:
        cur.execute(SQL.text(name), params or {})
        columns = [c.name for c in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=columns)
    for column in frame.columns:
        if column == "ts" or column.endswith("_ts"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


@dataclass(frozen=True)
class ReferenceSets:
    """The known machines, defect types and reason codes (with the state each implies)."""

    machines: frozenset[str]
    defect_types: frozenset[str]
    reason_codes: frozenset[str]
    state_of_reason: dict[str, str]


def read_reference(conn: psycopg.Connection) -> ReferenceSets:
    frame = read_frame(conn, "reference_sets")
    by_kind = frame.groupby("kind")["value"].apply(frozenset).to_dict()
    states = {
        kind.split(":", 1)[1]: next(iter(values))
        for kind, values in by_kind.items()
        if kind.startswith("state_of:")
    }
    return ReferenceSets(
        machines=by_kind.get("machine", frozenset()),
        defect_types=by_kind.get("defect_type", frozenset()),
        reason_codes=by_kind.get("reason_code", frozenset()),
        state_of_reason=states,
    )


@dataclass
class LandingDay:
    """Everything the suites look at for one day."""

    window: DayWindow
    reference: ReferenceSets
    limits: pd.DataFrame
    sensor_profile: pd.DataFrame
    rows: dict[str, pd.DataFrame]

    def row_counts(self) -> dict[str, int]:
        counts = {"sensor_reading": int(self.sensor_profile["readings"].sum())}
        counts.update({table: len(frame) for table, frame in self.rows.items()})
        return counts


def read_landing_day(conn: psycopg.Connection, window: DayWindow) -> LandingDay:
    return LandingDay(
        window=window,
        reference=read_reference(conn),
        limits=read_frame(conn, "machine_metric_limit"),
        sensor_profile=read_frame(conn, "sensor_reading_profile", window.params()),
        rows={table: read_frame(conn, table, window.params()) for table in ROW_TABLES},
    )
