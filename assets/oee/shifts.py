"""Time windows OEE is reported over: shifts from the plant's shift calendar, and clock hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from fabstack.calendar import day_range

WINDOW_SCHEMA = {
    "grain": pl.Utf8,
    "window_date": pl.Date,
    "shift_code": pl.Utf8,
    "window_start": pl.Datetime("us", "UTC"),
    "window_end": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Shift:
    """One shift of the calendar: code, local start time and length."""

    code: str
    start_local: time
    duration_min: int


def shift_windows(
    shifts: Sequence[Shift], timezone: str, first_day: date, last_day: date
) -> pl.DataFrame:
    """One row per shift started on each local day in [first_day, last_day], in UTC.

    A shift belongs to the local day it starts on (shift C of the 24th ends on the 25th).
    Daylight-saving days are honoured: the local start is converted, the length is wall-clock.
    """
    tz = ZoneInfo(timezone)
    rows = []
    for day in day_range(first_day, last_day):
        for s in shifts:
            start = datetime.combine(day, s.start_local, tzinfo=tz)
            end_local = datetime.combine(day, s.start_local) + timedelta(minutes=s.duration_min)
            end = end_local.replace(tzinfo=tz)
            rows.append(("shift", day, s.code, start.astimezone(UTC), end.astimezone(UTC)))
    return pl.DataFrame(rows, schema=WINDOW_SCHEMA, orient="row")


def hour_windows(start: datetime, end: datetime) -> pl.DataFrame:
    """One row per UTC clock hour in [start, end)."""
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    t = first
    while t < end:
        rows.append(("hour", t.date(), "", t, t + timedelta(hours=1)))
        t += timedelta(hours=1)
    return pl.DataFrame(rows, schema=WINDOW_SCHEMA, orient="row")
