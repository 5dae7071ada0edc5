"""Deadlines in Chinese working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


def test_working_hours_count_only_office_hours_of_working_days() -> None:
    from yiwang.core.workdays import (
        add_working_seconds,
        parse_office_hours,
        subtract_working_seconds,
        working_seconds_between,
    )

    hours = parse_office_hours("09:00-12:00,13:30-17:30")  # 7 hours a day
    friday_afternoon = datetime(2025, 9, 26, 16, 0, tzinfo=SHANGHAI)
    # 1.5 h left on Friday; Sat 27 Sep is not a working day, but Sun 28 Sep 2025 is (调休)
    d = add_working_seconds(friday_afternoon, 4 * 3600, hours)
    assert (
        d.due_at.astimezone(SHANGHAI) == datetime(2025, 9, 28, 11, 30, tzinfo=SHANGHAI) and not d.provisional
    )
    assert working_seconds_between(friday_afternoon, d.due_at, hours) == 4 * 3600
    assert subtract_working_seconds(d.due_at, 4 * 3600, hours) == friday_afternoon.astimezone(UTC)
    lunch = datetime(2025, 9, 29, 12, 30, tzinfo=SHANGHAI)  # starting in the lunch break counts from 13:30
    assert add_working_seconds(lunch, 3600, hours).due_at.astimezone(SHANGHAI).hour == 14


def test_a_pause_moves_the_due_time_by_the_working_time_it_took() -> None:
    from yiwang.core.workflow_clock import resumed

    due = datetime(2026, 6, 8, 23, 59, 59, tzinfo=SHANGHAI)
    # paused Tuesday morning, resumed Thursday afternoon: two working days
    moved = resumed(
        due,
        "working_days",
        datetime(2026, 6, 2, 10, tzinfo=SHANGHAI),
        datetime(2026, 6, 4, 15, tzinfo=SHANGHAI),
    )
    assert moved.due_at.astimezone(SHANGHAI).date() == date(2026, 6, 10)
    same_day = resumed(
        due,
        "working_days",
        datetime(2026, 6, 2, 10, tzinfo=SHANGHAI),
        datetime(2026, 6, 2, 16, tzinfo=SHANGHAI),
    )
    assert same_day.due_at == due  # a 补正 answered the same day costs the applicant nothing
    natural = resumed(
        due, "hours", datetime(2026, 6, 2, 10, tzinfo=SHANGHAI), datetime(2026, 6, 2, 16, tzinfo=SHANGHAI)
    )
    assert natural.due_at - due == timedelta(hours=6)


def test_a_deadline_into_the_unknown_year_through_a_pause_stays_computed_and_provisional() -> None:
    from yiwang.core.workflow_clock import resumed

    due = add_working_days(datetime(2026, 12, 21, 2, tzinfo=UTC), 10)  # into 2027
    moved = resumed(due.due_at, "working_days", datetime(2026, 12, 22, 9, tzinfo=SHANGHAI),
                    datetime(2027, 1, 6, 9, tzinfo=SHANGHAI))  # fmt: skip
    assert due.provisional and moved.provisional and moved.due_at > due.due_at
