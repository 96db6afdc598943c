"""The plant's working calendar on the UTC time line: shift windows, breaks and exceptions.

All times are epoch seconds (float). Shifts start at their local wall-clock time in the site's
time zone and last ``duration_min`` of elapsed time, clipped at the next shift's start (a
daylight-saving night can make them overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fabstack.calendar import day_range
from ingestion.plant import PlantSpec

WORK, BREAK, NO_SHIFT, PM_EXC = "WORK", "BREAK", "NO_SHIFT", "PM_EXC"


@dataclass(frozen=True)
class ShiftWindow:
    shift_date: date  # local date the shift starts on
    code: str
    start: float
    end: float
    breaks: tuple[tuple[float, float], ...]


def shift_windows(plant: PlantSpec, t0: float, t1: float) -> list[ShiftWindow]:
    """Every shift window overlapping [t0, t1), in time order."""
    tz = ZoneInfo(plant.site.timezone)
    first = datetime.fromtimestamp(t0, tz).date() - timedelta(days=2)
    last = datetime.fromtimestamp(t1, tz).date() + timedelta(days=1)
    raw: list[tuple[float, date, object]] = []
    for day in day_range(first, last):
        for shift in plant.shifts:
            local = datetime.combine(day, time(shift.start.hour, shift.start.minute), tz)
            raw.append((local.timestamp(), day, shift))
    raw.sort(key=lambda r: r[0])
    out: list[ShiftWindow] = []
    for i, (start, day, shift) in enumerate(raw):
        end = start + shift.duration_min * 60.0
        if i + 1 < len(raw):
            end = min(end, raw[i + 1][0])
        if end <= t0 or start >= t1:
            continue
        breaks = tuple(
            (start + b.offset_min * 60.0, min(end, start + (b.offset_min + b.duration_min) * 60.0))
            for b in sorted(shift.breaks, key=lambda b: b.offset_min)
            if start + b.offset_min * 60.0 < end
        )
        out.append(ShiftWindow(day, shift.code, start, end, breaks))
    return out


def machine_calendar(
    plant: PlantSpec, machine_id: str, windows: list[ShiftWindow], t0: float, t1: float
) -> list[tuple[float, str]]:
    """Change points ``(t, status)`` covering [t0, t1): WORK, BREAK, NO_SHIFT or PM_EXC."""
    cuts = {t0, t1}
    for w in windows:
        cuts |= {w.start, w.end}
        for b in w.breaks:
            cuts |= set(b)
    exceptions = [
        (e.start.timestamp(), e.end.timestamp(), e.kind)
        for e in plant.calendar_exceptions
        if e.machine in (None, machine_id)
    ]
    for s, e, _ in exceptions:
        cuts |= {s, e}
    points = sorted(c for c in cuts if t0 <= c < t1)
    out: list[tuple[float, str]] = []
    wi = 0
    for t in points:
        while wi < len(windows) and windows[wi].end <= t:
            wi += 1
        status = NO_SHIFT
        if wi < len(windows) and windows[wi].start <= t < windows[wi].end:
            status = WORK
            if any(bs <= t < be for bs, be in windows[wi].breaks):
                status = BREAK
        for s, e, kind in exceptions:
            if s <= t < e:
                status = PM_EXC if kind == "maintenance" else NO_SHIFT
                break
        if not out or out[-1][1] != status:
            out.append((t, status))
    return out


def shift_of(windows: list[ShiftWindow], t: float) -> ShiftWindow | None:
    """The shift window holding ``t`` (None outside every shift)."""
    lo, hi = 0, len(windows)
    while lo < hi:
        mid = (lo + hi) // 2
        if windows[mid].end <= t:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(windows) and windows[lo].start <= t < windows[lo].end:
        return windows[lo]
    return None
