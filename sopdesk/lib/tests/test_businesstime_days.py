"""Whole working days: which dates work, and the same wall-clock time N working days later."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval, add_working_days, is_working_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = tuple(WorkingInterval(weekday=day, start_minute=540, end_minute=1080) for day in range(5))
# Golden Week 2026 style: Thursday 1 October off, Saturday 10 October works like a Friday.
CHINA = BusinessCalendar(
    zone=SHANGHAI,
    intervals=WEEKDAYS,
    holidays=frozenset({date(2026, 10, 1)}),
    extra_working_days={date(2026, 10, 10): 4},
)


def sh(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 9, 30), True), (date(2026, 10, 1), False), (date(2026, 10, 3), False), (date(2026, 10, 10), True)],
)
def test_a_working_day_has_working_hours_after_holidays_and_make_up_days(day: date, expected: bool) -> None:
    assert is_working_day(CHINA, day) is expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (sh(9, 29), 0, sh(9, 29)),
        (sh(9, 29), 1, sh(9, 30)),
        (sh(9, 30), 1, sh(10, 2)),  # over the holiday
        (sh(10, 2), 1, sh(10, 5)),  # over the weekend
        (sh(10, 9), 1, sh(10, 10)),  # onto the make-up Saturday
        (sh(10, 3), 1, sh(10, 5)),  # from a day off: the first working day after it
        (sh(9, 30, 23), 3, sh(10, 6, 23)),  # outside working hours the wall-clock time still carries over
    ],
)
def test_adding_working_days_keeps_the_wall_clock_time(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(CHINA, start, days) == expected


def test_every_day_counts_in_an_always_open_calendar() -> None:
    always = BusinessCalendar(zone=SHANGHAI, always_open=True)
    assert add_working_days(always, sh(10, 2), 3) == sh(10, 5)


def test_the_local_time_survives_a_dst_change() -> None:
    berlin = BusinessCalendar(zone=BERLIN, intervals=WEEKDAYS)
    start = datetime(2026, 3, 27, 15, tzinfo=BERLIN)  # Friday; summer time starts on Sunday 29 March
    assert add_working_days(berlin, start, 1) == datetime(2026, 3, 30, 15, tzinfo=BERLIN)
    assert (add_working_days(berlin, start, 1) - start).total_seconds() == 3 * 86400 - 3600


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(CHINA, sh(10, 2), -1)
