"""Deadlines of cases, pure: when a clock runs out, when it warns, when it escalates, and how
far a pause (补正, 延期, 挂起) moves it. Working days and working hours follow the statutory
calendar of `core/workdays.py` (a year without a published arrangement is counted on weekdays
and flagged provisional); working hours are the office hours of `YIWANG_OFFICE_HOURS`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache

from yiwang.core import workdays
from yiwang.core.workdays import Deadline
from yiwang.core.workflow_spec import Duration, State
from yiwang.settings import get_settings


@lru_cache(maxsize=8)
def _office(spec: str) -> tuple[tuple[time, time], ...]:
    return workdays.parse_office_hours(spec)


def office_hours() -> tuple[tuple[time, time], ...]:
    return _office(get_settings().office_hours)


def add(start: datetime, d: Duration) -> Deadline:
    if d.unit == "working_days":
        return workdays.add_working_days(start, int(d.amount))
    if d.unit == "working_hours":
        return workdays.add_working_seconds(start, d.amount * 3600, office_hours())
    return Deadline(start + timedelta(hours=d.amount), False)


def before(due: datetime, d: Duration) -> datetime:
    """The moment `d` before `due` (a warning). For working days: the start of office hours on
    the day from which only that many working days are left (not midnight: people read it)."""
    if d.unit == "working_days":
        eve = workdays.subtract_working_days(due, int(d.amount))
        return workdays.add_working_seconds(eve, 0, office_hours()).due_at
    if d.unit == "working_hours":
        return workdays.subtract_working_seconds(due, d.amount * 3600, office_hours())
    return due - timedelta(hours=d.amount)


def after(due: datetime, d: Duration) -> datetime:
    """The moment `d` after `due` (an escalation)."""
    return due if d.amount == 0 else add(due, d).due_at


def resumed(due: datetime, unit: str, paused_at: datetime, now: datetime) -> Deadline:
    """The due time after a pause from `paused_at` to `now`: moved by the working time that
    passed meanwhile, in the clock's own unit (whole working days for a working-day clock:
    a pause within one day costs the applicant nothing)."""
    if unit == "working_days":
        shift = workdays.working_days_between(paused_at, now)
        return workdays.add_working_days(due, shift) if shift else Deadline(due, False)
    if unit == "working_hours":
        seconds = workdays.working_seconds_between(paused_at, now, office_hours())
        return workdays.add_working_seconds(due, seconds, office_hours()) if seconds else Deadline(due, False)
    return Deadline(due + (now - paused_at), False)


@dataclass(frozen=True)
class Due:
    kind: str  # warning | overdue | escalation
    level: int
    at: datetime


def timers(state: State, due_at: datetime, warned: bool, overdue: bool, level: int) -> list[Due]:
    """The due-time rows a running clock in this state needs from here on."""
    out: list[Due] = []
    if state.warn_before is not None and not warned and not overdue:
        out.append(Due("warning", 0, before(due_at, state.warn_before)))
    if not overdue:
        out.append(Due("overdue", 0, due_at))
    out += [Due("escalation", e.level, after(due_at, e.after)) for e in state.escalations if e.level > level]
    return out
