"""Chinese working days: statutory holidays and adjusted workdays (调休) count.

chinese-calendar knows the State Council's arrangement only for years it has seen; for a
later year the deadline is still computed, on weekdays alone, and flagged provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware, UTC
    provisional: bool  # some day on the way fell in a year without a published arrangement


# Holidays on fixed solar dates (元旦, 劳动节, 国庆节) are known before the State Council
# publishes a year's arrangement; the lunar ones and the 调休 workdays are not.
_FIXED_HOLIDAYS = {
    (1, 1),
    (5, 1),
    (5, 2),
    (5, 3),
    (10, 1),
    (10, 2),
    (10, 3),
    (10, 4),
    (10, 5),
    (10, 6),
    (10, 7),
}


def is_workday(day: date) -> tuple[bool, bool]:
    """(is a working day, known from the official arrangement)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS, False


def add_working_days(start: datetime, days: int) -> Deadline:
    """The end (23:59:59 Beijing time) of the `days`-th working day after `start`'s date."""
    local = start.astimezone(SHANGHAI).date()
    provisional = False
    counted = 0
    day = local
    while counted < days:
        day += timedelta(days=1)
        work, known = is_workday(day)
        provisional = provisional or not known
        if work:
            counted += 1
    end = datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)
    return Deadline(end.astimezone(ZoneInfo("UTC")), provisional)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days after `start`'s Beijing date up to and including `end`'s (0 on the same day)."""
    day, last, n = local_day(start), local_day(end), 0
    while day < last:
        day += timedelta(days=1)
        n += is_workday(day)[0]
    return n


def subtract_working_days(due: datetime, days: int) -> datetime:
    """The end (23:59:59 Beijing time) of the working day `days` working days before `due`'s date."""
    day, counted = local_day(due), 0
    while counted < days:
        day -= timedelta(days=1)
        counted += is_workday(day)[0]
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))


# --- working hours: the office hours of working days -----------------------------------------


def parse_office_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """'09:00-12:00,13:00-17:00' -> the day's office intervals, in order, not overlapping."""
    out: list[tuple[time, time]] = []
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if not a < b or (out and a < out[-1][1]):
            raise ValueError(f"office hours must be increasing, non-overlapping intervals: {spec}")
        out.append((a, b))
    if not out:
        raise ValueError("office hours are empty")
    return tuple(out)


def _intervals(day: date, hours: tuple[tuple[time, time], ...]) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, a, tzinfo=SHANGHAI), datetime.combine(day, b, tzinfo=SHANGHAI))
        for a, b in hours
    ]


_MAX_DAYS = 3660  # no office hours within ten years: the calendar or the settings are broken


def add_working_seconds(start: datetime, seconds: float, hours: tuple[tuple[time, time], ...]) -> Deadline:
    """The moment `seconds` of office time after `start` (office hours of working days)."""
    day, provisional, left = local_day(start), False, float(seconds)
    local_start = start.astimezone(SHANGHAI)
    for _ in range(_MAX_DAYS):
        work, known = is_workday(day)
        provisional = provisional or not known
        if work:
            for a, b in _intervals(day, hours):
                begin = max(a, local_start)
                if begin >= b:
                    continue
                span = (b - begin).total_seconds()
                if left <= span:
                    return Deadline(
                        (begin + timedelta(seconds=left)).astimezone(ZoneInfo("UTC")), provisional
                    )
                left -= span
        day += timedelta(days=1)
    raise ValueError("no office hours found within ten years")


def working_seconds_between(start: datetime, end: datetime, hours: tuple[tuple[time, time], ...]) -> float:
    """Office time between two moments (0 when `end` is not after `start`)."""
    if end <= start:
        return 0.0
    total, day, last = 0.0, local_day(start), local_day(end)
    while day <= last:
        if is_workday(day)[0]:
            for a, b in _intervals(day, hours):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def subtract_working_seconds(due: datetime, seconds: float, hours: tuple[tuple[time, time], ...]) -> datetime:
    """The moment `seconds` of office time before `due`."""
    day, left, local_due = local_day(due), float(seconds), due.astimezone(SHANGHAI)
    for _ in range(_MAX_DAYS):
        if is_workday(day)[0]:
            for a, b in reversed(_intervals(day, hours)):
                end = min(b, local_due)
                if end <= a:
                    continue
                span = (end - a).total_seconds()
                if left <= span:
                    return (end - timedelta(seconds=left)).astimezone(ZoneInfo("UTC"))
                left -= span
        day -= timedelta(days=1)
    raise ValueError("no office hours found within ten years")
