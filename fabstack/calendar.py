"""The plant calendar: plant-local days, their UTC windows, and "today" at the plant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fabstack.errors import FabError


def day_window(day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC start and end of a plant-local calendar day (23 or 25 hours over a DST change)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def local_day(ts: datetime, tz: str) -> date:
    """The plant-local day of a UTC (or zoned) instant."""
    return ts.astimezone(ZoneInfo(tz)).date()


def plant_today(tz: str, now: datetime | None = None) -> date:
    """Today at the plant (the plant-local day of ``now``, default the current instant)."""
    return local_day(now or datetime.now(UTC), tz)


def local_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """The plant-local days touched by the UTC instants [start, end) (e.g. a backfill window)."""
    if end <= start:
        return []
    return day_range(local_day(start, tz), local_day(end - timedelta(microseconds=1), tz))


def day_range(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last`` inclusive (empty when ``last`` is before ``first``)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def as_of(day: date, tz: str, now: datetime | None = None) -> datetime:
    """The instant a day's partition is computed as of: the end of that plant day, or now while
    the day is still running (its start for a day still to come). Re-running a past day
    therefore sees the same history."""
    start, end = day_window(day, tz)
    return max(start, min(end, now or datetime.now(UTC)))


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FabError(f"day: expected YYYY-MM-DD, got {value!r}") from None


class NaiveTime(ValueError):
    """A time given without its UTC offset: which instant it means is unknown."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 time with its offset (``Z`` allowed). Raises `NaiveTime` without
    an offset, ValueError when it is not such a time at all."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise NaiveTime(text)
    return parsed
