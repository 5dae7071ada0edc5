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
