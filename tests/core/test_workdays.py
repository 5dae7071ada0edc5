"""Deadlines in Chinese working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from yiwang.core.workdays import SHANGHAI, add_working_days, is_workday


def test_national_day_holidays_and_the_adjusted_workday_count() -> None:
    # 2025-09-30 (Tue) + 3 working days: Oct 1-8 are holidays, Sat Oct 11 is a 调休 workday.
    d = add_working_days(datetime(2025, 9, 30, 2, tzinfo=UTC), 3)
    assert d.due_at.astimezone(SHANGHAI).date() == date(2025, 10, 11)
    assert not d.provisional


def test_a_deadline_in_an_unknown_year_is_computed_and_flagged() -> None:
    d = add_working_days(datetime(2026, 12, 28, 2, tzinfo=UTC), 5)
    assert d.provisional
    # Dec 29, 30, 31, then Jan 1 (元旦, a fixed-date holiday) is skipped: Jan 4 and Jan 5.
    assert d.due_at.astimezone(SHANGHAI).date() == date(2027, 1, 5)
    assert is_workday(date(2027, 10, 1)) == (False, False)


def test_the_deadline_is_the_end_of_the_beijing_day() -> None:
    d = add_working_days(datetime(2025, 3, 3, 20, tzinfo=UTC), 1)  # already Mar 4 in Beijing
    local = d.due_at.astimezone(SHANGHAI)
    assert (local.date(), local.hour, local.minute) == (date(2025, 3, 5), 23, 59)
