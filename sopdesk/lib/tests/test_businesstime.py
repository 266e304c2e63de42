"""Business-time arithmetic: worked examples, DST, validation, and properties against a reference."""

from __future__ import annotations

import ast
import dataclasses
import pickle
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopdesk.lib import businesstime
from sopdesk.lib.businesstime import (
    SEARCH_HORIZON,
    BusinessCalendar,
    WorkingInterval,
    add,
    elapsed,
    is_working_instant,
    next_off_hours,
    next_working_instant,
    subtract,
    working_seconds_per_week,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def days(first: date, last: date) -> Iterator[date]:
    """Yield the dates from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def office_intervals(*spans: tuple[int, int], weekdays: range = range(5)) -> tuple[WorkingInterval, ...]:
    return tuple(WorkingInterval(weekday, start, end) for weekday in weekdays for start, end in spans)


# China 2026 as published by the State Council (and as `holidays.China(years=2026)` and its
# `weekend_workdays` give it): whole holiday periods, weekends inside them included.
CHINA_2026_HOLIDAYS = frozenset(
    day
    for first, last in [
        (date(2026, 1, 1), date(2026, 1, 3)),  # New Year
        (date(2026, 2, 15), date(2026, 2, 23)),  # Spring Festival
        (date(2026, 4, 4), date(2026, 4, 6)),  # Qingming
        (date(2026, 5, 1), date(2026, 5, 5)),  # Labour Day
        (date(2026, 6, 19), date(2026, 6, 21)),  # Dragon Boat
        (date(2026, 9, 25), date(2026, 9, 27)),  # Mid-Autumn
        (date(2026, 10, 1), date(2026, 10, 7)),  # National Day
    ]
    for day in days(first, last)
)
# Make-up working days (调休), all working like a Monday.
CHINA_2026_MAKE_UP_DAYS = {
    date(2026, 1, 4): 0,  # Sunday
    date(2026, 2, 14): 0,  # Saturday
    date(2026, 2, 28): 0,  # Saturday
    date(2026, 5, 9): 0,  # Saturday
    date(2026, 9, 20): 0,  # Sunday
    date(2026, 10, 10): 0,  # Saturday
}
# Mon–Fri 09:00–12:00 and 13:30–18:00: 7.5 hours a day.
OFFICE = BusinessCalendar(
    zone=SHANGHAI,
    intervals=office_intervals((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)),
    holidays=CHINA_2026_HOLIDAYS,
    extra_working_days=CHINA_2026_MAKE_UP_DAYS,
)
# The same schedule without holidays, for plain weekday arithmetic.
PLAIN_OFFICE = BusinessCalendar(zone=SHANGHAI, intervals=OFFICE.intervals)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


# Local times in DST zones are returned in UTC: Python never finds an ambiguous local time (fold 0
# or 1) == to a datetime in another zone (PEP 495), and the functions return UTC.
def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK, fold=fold).astimezone(UTC)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- worked examples on the Shanghai office calendar ---------------------------------------

ADD_EXAMPLES = [
    # Sep 30 17:30 → 18:00 is 30 min; Oct 1–7 National Day; Thu Oct 8 09:00–12:00 is 3 h (3 h 30
    # in all), then 13:30 + 30 min.
    pytest.param(sh(2026, 9, 30, 17, 30), 4 * H, sh(2026, 10, 8, 14, 0), id="national-day-eve"),
    # Fri Oct 9 17:00–18:00 is 1 h; Sat Oct 10 is a make-up day: 09:00 + 1 h.
    pytest.param(sh(2026, 10, 9, 17, 0), 2 * H, sh(2026, 10, 10, 10, 0), id="make-up-saturday-counts"),
    # Sat Oct 10 17:00–18:00 is 1 h; Sun Oct 11 is an ordinary Sunday: Mon Oct 12 09:00 + 1 h.
    pytest.param(sh(2026, 10, 10, 17, 0), 2 * H, sh(2026, 10, 12, 10, 0), id="sunday-after-make-up-day-is-off"),
    # Fri Feb 13 17:00–18:00 is 1 h, make-up Sat Feb 14 is 7.5 h (8.5 h), Feb 15–23 Spring
    # Festival, Tue Feb 24 09:00 + 1.5 h.
    pytest.param(sh(2026, 2, 13, 17, 0), 10 * H, sh(2026, 2, 24, 10, 30), id="spring-festival"),
    # 8 h from Fri Feb 13 17:00: 1 h on Friday, then 7 h of make-up Saturday: 09:00–12:00 is 3 h,
    # 13:30 + 4 h = 17:30.
    pytest.param(sh(2026, 2, 13, 17, 0), 8 * H, sh(2026, 2, 14, 17, 30), id="spring-festival-make-up-saturday"),
    # Mon Mar 2 17:00–18:00 is 1 h, then Tue 09:00 + 1 h.
    pytest.param(sh(2026, 3, 2, 17, 0), 2 * H, sh(2026, 3, 3, 10, 0), id="across-midnight"),
    # Mon 11:00–12:00 is 1 h, lunch, 13:30 + 1 h.
    pytest.param(sh(2026, 3, 2, 11, 0), 2 * H, sh(2026, 3, 2, 14, 30), id="across-lunch"),
    pytest.param(sh(2026, 3, 2, 12, 30), H, sh(2026, 3, 2, 14, 30), id="start-inside-lunch"),
    pytest.param(sh(2026, 3, 2, 7, 0), H, sh(2026, 3, 2, 10, 0), id="start-before-opening"),
    pytest.param(sh(2026, 3, 2, 20, 0), H, sh(2026, 3, 3, 10, 0), id="start-after-closing"),
    # Fri 18:00 is closing time: nothing until Monday.
    pytest.param(sh(2026, 3, 6, 18, 0), 30 * MIN, sh(2026, 3, 9, 9, 30), id="start-at-closing-before-weekend"),
    # May 1–5 (Fri–Tue) off: Wed May 6 09:00 + 1 h.
    pytest.param(sh(2026, 5, 1, 10, 0), H, sh(2026, 5, 6, 10, 0), id="start-on-labour-day"),
    # Sat Jan 3 is a holiday, Sun Jan 4 a make-up day working like a Monday.
    pytest.param(sh(2026, 1, 3, 10, 0), H, sh(2026, 1, 4, 10, 0), id="make-up-sunday-after-new-year"),
    # Exactly the morning: the earliest instant is 12:00, not 13:30.
    pytest.param(sh(2026, 3, 2, 9, 0), 3 * H, sh(2026, 3, 2, 12, 0), id="lands-on-interval-end"),
    pytest.param(sh(2026, 3, 2, 9, 0), 7 * H + 30 * MIN, sh(2026, 3, 2, 18, 0), id="lands-on-closing-time"),
    # A full working week from Monday 09:00 ends Friday 18:00.
    pytest.param(sh(2026, 3, 2, 9, 0), 37 * H + 30 * MIN, sh(2026, 3, 6, 18, 0), id="one-working-week"),
    # 100 h from Mon Mar 2 09:00: two weeks are 75 h (Fri Mar 13 18:00), 25 h more = three days
    # (Wed Mar 18 18:00) and 2.5 h: Thu Mar 19 09:00 + 2.5 h = 11:30.
    pytest.param(sh(2026, 3, 2, 9, 0), 100 * H, sh(2026, 3, 19, 11, 30), id="several-weeks"),
    # Exactly a whole week's (or fortnight's) time from Monday 00:00: the week's last closing time,
    # not the next week's opening.
    pytest.param(sh(2026, 3, 2), 37 * H + 30 * MIN, sh(2026, 3, 6, 18, 0), id="exactly-one-week-from-monday"),
    pytest.param(sh(2026, 3, 2), 75 * H, sh(2026, 3, 13, 18, 0), id="exactly-two-weeks-from-monday"),
    # Sep 28 – Oct 11 holds 45 h (see the elapsed examples); it ends with make-up Sat Oct 10.
    pytest.param(sh(2026, 9, 28), 45 * H, sh(2026, 10, 10, 18, 0), id="exactly-the-national-day-fortnight"),
    pytest.param(sh(2026, 3, 2, 9, 0), US, sh(2026, 3, 2, 9, 0, 0, 1), id="one-microsecond"),
    pytest.param(sh(2026, 3, 2, 11, 59, 59, 999_999), 2 * US, sh(2026, 3, 2, 13, 30, 0, 1), id="microsecond-lunch"),
]


@pytest.mark.parametrize(("start", "duration", "expected"), ADD_EXAMPLES)
def test_add_gives_the_hand_computed_due_time(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert add(OFFICE, start, duration) == expected


@pytest.mark.parametrize(("start", "duration", "expected"), ADD_EXAMPLES)
def test_elapsed_between_start_and_the_due_time_is_the_duration(
    start: datetime, duration: timedelta, expected: datetime
) -> None:
    assert elapsed(OFFICE, start, expected) == duration


SUBTRACT_EXAMPLES = [
    # Thu Oct 8 14:00 back: 13:30–14:00 is 30 min, 09:00–12:00 is 3 h, Oct 1–7 off, Sep 30
    # 17:30–18:00 the last 30 min.
    pytest.param(sh(2026, 10, 8, 14, 0), 4 * H, sh(2026, 9, 30, 17, 30), id="back-over-national-day"),
    # The latest instant: 13:30 after lunch, not 12:00 before it.
    pytest.param(sh(2026, 3, 2, 14, 0), 30 * MIN, sh(2026, 3, 2, 13, 30), id="lands-on-interval-start"),
    pytest.param(sh(2026, 3, 2, 13, 30), H, sh(2026, 3, 2, 11, 0), id="from-afternoon-opening"),
    pytest.param(sh(2026, 3, 2, 12, 45), H, sh(2026, 3, 2, 11, 0), id="from-inside-lunch"),
    # Mon Mar 9 08:00 back: the weekend is off, Fri Mar 6 18:00 − 1 h.
    pytest.param(sh(2026, 3, 9, 8, 0), H, sh(2026, 3, 6, 17, 0), id="back-over-weekend"),
    # Tue Feb 24 10:30 back 10 h: 1.5 h on Feb 24, festival off, 7.5 h on Sat Feb 14, then 1 h on
    # Fri Feb 13 from 18:00.
    pytest.param(sh(2026, 2, 24, 10, 30), 10 * H, sh(2026, 2, 13, 17, 0), id="back-over-spring-festival"),
    # Mon Oct 12 10:00 back 2 h: 1 h on Monday, Sunday off, make-up Sat Oct 10 17:00–18:00.
    pytest.param(sh(2026, 10, 12, 10, 0), 2 * H, sh(2026, 10, 10, 17, 0), id="back-to-make-up-saturday"),
    # Exactly a whole week back from the next Monday 00:00: the week's first opening time.
    pytest.param(sh(2026, 3, 9), 37 * H + 30 * MIN, sh(2026, 3, 2, 9, 0), id="exactly-one-week-to-monday"),
    pytest.param(sh(2026, 10, 12), 45 * H, sh(2026, 9, 28, 9, 0), id="exactly-the-national-day-fortnight"),
]


@pytest.mark.parametrize(("end", "duration", "expected"), SUBTRACT_EXAMPLES)
def test_subtract_gives_the_hand_computed_start(end: datetime, duration: timedelta, expected: datetime) -> None:
    assert subtract(OFFICE, end, duration) == expected
    assert elapsed(OFFICE, expected, end) == duration


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(sh(2026, 3, 2), sh(2026, 3, 9), 37 * H + 30 * MIN, id="plain-week"),
        # Feb 9–13: 37.5 h; make-up Sat Feb 14: 7.5 h; Feb 15–23 off; Tue Feb 24 – Fri Feb 27: 30 h;
        # make-up Sat Feb 28: 7.5 h; 82.5 h in all.
        pytest.param(sh(2026, 2, 9), sh(2026, 3, 2), 82 * H + 30 * MIN, id="spring-festival-weeks"),
        pytest.param(sh(2026, 2, 14, 18, 0), sh(2026, 2, 24, 9, 0), timedelta(0), id="inside-spring-festival"),
        # Sep 28 – Oct 11: Mon Sep 28 – Wed Sep 30 (22.5 h), Oct 1–7 off, Thu Oct 8, Fri Oct 9 and
        # make-up Sat Oct 10 (22.5 h): 45 h.
        pytest.param(sh(2026, 9, 28), sh(2026, 10, 12), 45 * H, id="national-day-fortnight"),
        pytest.param(sh(2026, 3, 2, 12, 0), sh(2026, 3, 2, 13, 30), timedelta(0), id="lunch-break"),
        pytest.param(sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 14, 0), 90 * MIN, id="around-lunch"),
        pytest.param(sh(2026, 3, 2, 10, 0), sh(2026, 3, 2, 10, 0), timedelta(0), id="empty-span"),
        pytest.param(sh(2026, 3, 2, 10, 0), sh(2026, 3, 2, 9, 0), -H, id="reversed-span-is-negative"),
    ],
)
def test_elapsed_gives_the_hand_computed_business_time(start: datetime, end: datetime, expected: timedelta) -> None:
    assert elapsed(OFFICE, start, end) == expected


def test_china_2026_has_248_working_days_of_seven_and_a_half_hours() -> None:
    # 2026 starts on a Thursday: 52 weeks and a Thursday, 261 weekdays; minus the 19 weekday
    # holidays, plus the 6 make-up days: 248 (the official count).
    weekday_holidays = [day for day in CHINA_2026_HOLIDAYS if day.weekday() < 5]
    assert len(weekday_holidays) == 19
    assert elapsed(OFFICE, sh(2026, 1, 1), sh(2027, 1, 1)) == 248 * (7 * H + 30 * MIN)


def test_elapsed_over_years_is_the_sum_of_the_years() -> None:
    years = [sh(year, 1, 1) for year in range(2024, 2031)]
    parts = [elapsed(OFFICE, first, last) for first, last in pairwise(years)]
    assert elapsed(OFFICE, years[0], years[-1]) == sum(parts, timedelta(0))
    assert elapsed(OFFICE, years[-1], years[0]) == -sum(parts, timedelta(0))


def test_a_duration_of_zero_returns_the_start_even_outside_working_time() -> None:
    on_holiday = sh(2026, 10, 3, 15, 17, 1, 2)
    assert add(OFFICE, on_holiday, timedelta(0)) == on_holiday
    assert subtract(OFFICE, on_holiday, timedelta(0)) == on_holiday


def test_results_are_aware_utc_datetimes_whatever_the_input_zone() -> None:
    start_in_berlin = sh(2026, 9, 30, 17, 30).astimezone(BERLIN)
    result = add(OFFICE, start_in_berlin, 4 * H)
    assert result.tzinfo is UTC
    assert result == sh(2026, 10, 8, 14, 0)
    assert subtract(OFFICE, result, 4 * H).tzinfo is UTC
    assert next_working_instant(OFFICE, start_in_berlin).tzinfo is UTC
    assert add(OFFICE, start_in_berlin, timedelta(0)).tzinfo is UTC


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 2, 9, 0), True),
        (sh(2026, 3, 2, 8, 59, 59, 999_999), False),
        (sh(2026, 3, 2, 11, 59, 59, 999_999), True),
        (sh(2026, 3, 2, 12, 0), False),
        (sh(2026, 3, 2, 13, 30), True),
        (sh(2026, 3, 2, 18, 0), False),
        (sh(2026, 3, 7, 10, 0), False),  # an ordinary Saturday
        (sh(2026, 10, 10, 10, 0), True),  # make-up Saturday
        (sh(2026, 10, 5, 10, 0), False),  # National Day on a Monday
        (sh(2026, 1, 4, 17, 59), True),  # make-up Sunday
    ],
)
def test_is_working_instant_follows_schedule_holidays_and_make_up_days(at: datetime, expected: bool) -> None:
    assert is_working_instant(OFFICE, at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 3, 2, 10, 15), sh(2026, 3, 2, 10, 15)),
        (sh(2026, 3, 2, 12, 0), sh(2026, 3, 2, 13, 30)),
        (sh(2026, 3, 2, 18, 0), sh(2026, 3, 3, 9, 0)),
        (sh(2026, 3, 6, 18, 0), sh(2026, 3, 9, 9, 0)),
        (sh(2026, 9, 30, 18, 0), sh(2026, 10, 8, 9, 0)),
        (sh(2026, 10, 9, 18, 0), sh(2026, 10, 10, 9, 0)),
        (sh(2026, 2, 14, 18, 0), sh(2026, 2, 24, 9, 0)),
    ],
)
def test_next_working_instant_skips_breaks_weekends_and_holidays(at: datetime, expected: datetime) -> None:
    assert next_working_instant(OFFICE, at) == expected


def test_working_seconds_per_week_is_nominal() -> None:
    assert working_seconds_per_week(OFFICE) == 5 * 7.5 * 3600
    assert working_seconds_per_week(BusinessCalendar(zone=SHANGHAI, always_open=True)) == 7 * 24 * 3600


# --- always open, and DST ---------------------------------------------------------------------

ALWAYS_OPEN_NEW_YORK = BusinessCalendar(zone=NEW_YORK, always_open=True)
# Every day 00:00–24:00 as a weekly schedule (not the 24×7 flag): real time on DST days.
ALL_DAYS_NEW_YORK = BusinessCalendar(zone=NEW_YORK, intervals=office_intervals((0, 1440), weekdays=range(7)))
ALL_DAYS_BERLIN = BusinessCalendar(zone=BERLIN, intervals=office_intervals((0, 1440), weekdays=range(7)))
ALL_DAYS_LORD_HOWE = BusinessCalendar(zone=LORD_HOWE, intervals=office_intervals((0, 1440), weekdays=range(7)))
OFFICE_NEW_YORK = BusinessCalendar(zone=NEW_YORK, intervals=office_intervals((9 * 60, 17 * 60)))
OFFICE_BERLIN = BusinessCalendar(zone=BERLIN, intervals=office_intervals((9 * 60, 17 * 60)))


def test_an_always_open_calendar_counts_one_real_hour_over_spring_forward() -> None:
    # 01:30 EST + 1 real hour = 03:30 EDT (02:xx does not exist on 2026-03-08).
    assert add(ALWAYS_OPEN_NEW_YORK, ny(2026, 3, 8, 1, 30), H) == ny(2026, 3, 8, 3, 30)
    assert subtract(ALWAYS_OPEN_NEW_YORK, ny(2026, 3, 8, 3, 30), H) == ny(2026, 3, 8, 1, 30)
    assert elapsed(ALWAYS_OPEN_NEW_YORK, ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * H


def test_an_always_open_calendar_counts_both_one_oclocks_at_fall_back() -> None:
    first, second = ny(2026, 11, 1, 1, 30, fold=0), ny(2026, 11, 1, 1, 30, fold=1)
    assert elapsed(ALWAYS_OPEN_NEW_YORK, first, second) == H
    assert add(ALWAYS_OPEN_NEW_YORK, first, H) == second
    assert elapsed(ALWAYS_OPEN_NEW_YORK, ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * H


def test_an_always_open_calendar_ignores_holidays_and_intervals() -> None:
    calendar = BusinessCalendar(
        zone=SHANGHAI,
        intervals=OFFICE.intervals,
        holidays=CHINA_2026_HOLIDAYS,
        always_open=True,
    )
    assert elapsed(calendar, sh(2026, 10, 1), sh(2026, 10, 8)) == timedelta(days=7)
    assert is_working_instant(calendar, sh(2026, 10, 3, 3, 0))
    assert add(calendar, sh(2026, 10, 3, 3, 0), 5 * H) == sh(2026, 10, 3, 8, 0)


@pytest.mark.parametrize(
    ("calendar", "day", "hours"),
    [
        pytest.param(ALL_DAYS_NEW_YORK, date(2026, 3, 8), 23, id="new-york-spring-forward"),
        pytest.param(ALL_DAYS_NEW_YORK, date(2026, 11, 1), 25, id="new-york-fall-back"),
        pytest.param(ALL_DAYS_NEW_YORK, date(2026, 3, 9), 24, id="new-york-ordinary-day"),
        pytest.param(ALL_DAYS_BERLIN, date(2026, 3, 29), 23, id="berlin-spring-forward"),
        pytest.param(ALL_DAYS_BERLIN, date(2026, 10, 25), 25, id="berlin-fall-back"),
        pytest.param(ALL_DAYS_LORD_HOWE, date(2026, 4, 5), 24.5, id="lord-howe-half-hour-back"),
        pytest.param(ALL_DAYS_LORD_HOWE, date(2026, 10, 4), 23.5, id="lord-howe-half-hour-forward"),
    ],
)
def test_a_midnight_to_midnight_schedule_counts_the_real_length_of_a_dst_day(
    calendar: BusinessCalendar, day: date, hours: float
) -> None:
    start = datetime.combine(day, time(), tzinfo=calendar.zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=calendar.zone)
    assert elapsed(calendar, start, end) == hours * H
    assert add(calendar, start, hours * H) == end
    assert subtract(calendar, end, hours * H) == start


@pytest.mark.parametrize("calendar", [ALL_DAYS_NEW_YORK, ALL_DAYS_BERLIN, ALL_DAYS_LORD_HOWE])
def test_a_midnight_to_midnight_schedule_equals_real_time_over_a_whole_year(calendar: BusinessCalendar) -> None:
    start, end = utc(2025, 12, 30, 7, 13), utc(2027, 1, 2, 19, 1)
    assert elapsed(calendar, start, end) == end - start


def test_an_office_day_after_spring_forward_still_has_eight_real_hours() -> None:
    # Fri Mar 6 16:00 EST: 1 h to 17:00; Mon Mar 9 (now EDT) 09:00 + 1 h.
    assert add(OFFICE_NEW_YORK, ny(2026, 3, 6, 16, 0), 2 * H) == ny(2026, 3, 9, 10, 0)
    assert add(OFFICE_NEW_YORK, ny(2026, 3, 6, 16, 0), 2 * H) == utc(2026, 3, 9, 14, 0)
    assert elapsed(OFFICE_NEW_YORK, ny(2026, 3, 2), ny(2026, 3, 16)) == 80 * H


def test_an_office_week_over_the_berlin_changes_has_forty_hours() -> None:
    assert elapsed(OFFICE_BERLIN, berlin(2026, 3, 23), berlin(2026, 4, 6)) == 80 * H
    assert elapsed(OFFICE_BERLIN, berlin(2026, 10, 19), berlin(2026, 11, 2)) == 80 * H
    # Fri Oct 23 16:30 CEST: 30 min, then Mon Oct 26 (CET) 09:00 + 30 min = 08:30 UTC.
    assert add(OFFICE_BERLIN, berlin(2026, 10, 23, 16, 30), H) == utc(2026, 10, 26, 8, 30)
    assert subtract(OFFICE_BERLIN, utc(2026, 10, 26, 8, 30), H) == berlin(2026, 10, 23, 16, 30)


@pytest.mark.parametrize(
    ("calendar", "sunday", "expected_friday_start"),
    [
        pytest.param(OFFICE_NEW_YORK, ny(2026, 3, 8, 12, 0), ny(2026, 3, 6, 16, 0), id="new-york-spring"),
        pytest.param(OFFICE_NEW_YORK, ny(2026, 11, 1, 12, 0), ny(2026, 10, 30, 16, 0), id="new-york-fall"),
        pytest.param(OFFICE_BERLIN, berlin(2026, 3, 29, 12, 0), berlin(2026, 3, 27, 16, 0), id="berlin-spring"),
        pytest.param(OFFICE_BERLIN, berlin(2026, 10, 25, 12, 0), berlin(2026, 10, 23, 16, 0), id="berlin-fall"),
    ],
)
def test_counting_back_from_the_day_of_a_change_uses_the_old_offset_for_the_week_before(
    calendar: BusinessCalendar, sunday: datetime, expected_friday_start: datetime
) -> None:
    # Sunday noon, after the change, back 1 h: Friday 16:00 in the offset the week had then.
    assert subtract(calendar, sunday, H) == expected_friday_start
    assert elapsed(calendar, expected_friday_start, sunday) == H
    assert elapsed(calendar, sunday - timedelta(days=7), sunday) == 40 * H
    assert is_working_instant(calendar, expected_friday_start)
    assert not is_working_instant(calendar, expected_friday_start + H)


def sunday_night_new_york(start_minute: int, end_minute: int) -> BusinessCalendar:
    return BusinessCalendar(zone=NEW_YORK, intervals=(WorkingInterval(6, start_minute, end_minute),))


def test_a_night_shift_over_spring_forward_is_an_hour_shorter() -> None:
    # Sunday 01:00–04:00: 01:00 EST (06:00 UTC) to 04:00 EDT (08:00 UTC) is 2 real hours.
    calendar = sunday_night_new_york(60, 240)
    assert elapsed(calendar, ny(2026, 3, 8), ny(2026, 3, 9)) == 2 * H
    assert elapsed(calendar, ny(2026, 3, 1), ny(2026, 3, 2)) == 3 * H


def test_a_night_shift_over_fall_back_is_an_hour_longer() -> None:
    # Sunday 01:00–04:00: the first 01:00 (EDT, 05:00 UTC) to 04:00 EST (09:00 UTC) is 4 hours.
    calendar = sunday_night_new_york(60, 240)
    assert elapsed(calendar, ny(2026, 11, 1), ny(2026, 11, 2)) == 4 * H
    assert next_working_instant(calendar, ny(2026, 10, 31, 12, 0)) == utc(2026, 11, 1, 5, 0)
    assert add(calendar, ny(2026, 11, 1), 4 * H) == utc(2026, 11, 1, 9, 0)


def test_a_boundary_inside_the_spring_forward_gap_moves_to_the_end_of_the_gap() -> None:
    # Sunday 02:30–05:00: 02:30 does not exist on Mar 8; it becomes 03:00 EDT (07:00 UTC).
    calendar = sunday_night_new_york(150, 300)
    assert next_working_instant(calendar, ny(2026, 3, 8)) == utc(2026, 3, 8, 7, 0)
    assert elapsed(calendar, ny(2026, 3, 8), ny(2026, 3, 9)) == 2 * H
    assert not is_working_instant(calendar, utc(2026, 3, 8, 6, 59))
    assert is_working_instant(calendar, utc(2026, 3, 8, 7, 0))


def test_an_interval_wholly_inside_the_gap_has_no_working_time_that_day() -> None:
    calendar = sunday_night_new_york(120, 180)  # Sunday 02:00–03:00
    assert elapsed(calendar, ny(2026, 3, 8), ny(2026, 3, 9)) == timedelta(0)
    assert next_working_instant(calendar, ny(2026, 3, 8)) == ny(2026, 3, 15, 2, 0)
    assert add(calendar, ny(2026, 3, 7), 30 * MIN) == ny(2026, 3, 15, 2, 30)


def test_an_ambiguous_boundary_means_its_first_occurrence() -> None:
    # Sunday 01:30–03:00 on Nov 1: the first 01:30 (EDT, 05:30 UTC) to 03:00 EST (08:00 UTC).
    calendar = sunday_night_new_york(90, 180)
    assert next_working_instant(calendar, ny(2026, 11, 1)) == ny(2026, 11, 1, 1, 30, fold=0)
    assert elapsed(calendar, ny(2026, 11, 1), ny(2026, 11, 2)) == 2 * H + 30 * MIN
    # The second 01:30 is inside the interval, one hour after it started.
    assert is_working_instant(calendar, ny(2026, 11, 1, 1, 30, fold=1))
    assert add(calendar, ny(2026, 11, 1), H) == ny(2026, 11, 1, 1, 30, fold=1)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekday", "start_minute", "end_minute", "message"),
    [
        (7, 540, 600, "weekday"),
        (-1, 540, 600, "weekday"),
        (0, 600, 600, "start_minute < end_minute"),
        (0, 600, 540, "start_minute < end_minute"),
        (0, -1, 540, "start_minute < end_minute"),
        (0, 540, 1441, "end_minute <= 1440"),
        (True, 540, 600, "integer"),
    ],
)
def test_a_malformed_working_interval_is_refused(
    weekday: int, start_minute: int, end_minute: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingInterval(weekday, start_minute, end_minute)


def test_a_working_interval_may_run_until_midnight() -> None:
    assert WorkingInterval(6, 0, 1440).end_minute == 1440


def test_overlapping_intervals_are_refused_with_both_named() -> None:
    with pytest.raises(ValueError, match="Monday 09:00–12:00 and Monday 11:00–14:00 overlap"):
        BusinessCalendar(zone=SHANGHAI, intervals=(WorkingInterval(0, 660, 840), WorkingInterval(0, 540, 720)))


def test_touching_intervals_and_the_same_hours_on_other_days_are_accepted() -> None:
    calendar = BusinessCalendar(
        zone=SHANGHAI,
        intervals=(WorkingInterval(0, 540, 720), WorkingInterval(0, 720, 900), WorkingInterval(1, 540, 720)),
    )
    assert add(calendar, sh(2026, 3, 2, 11, 0), 2 * H) == sh(2026, 3, 2, 13, 0)


def test_a_date_both_holiday_and_extra_working_day_is_refused() -> None:
    with pytest.raises(ValueError, match="2026-10-10 is both a holiday and an extra working day"):
        BusinessCalendar(
            zone=SHANGHAI,
            intervals=OFFICE.intervals,
            holidays=frozenset({date(2026, 10, 10)}),
            extra_working_days={date(2026, 10, 10): 0},
        )


def test_a_calendar_without_intervals_must_be_always_open() -> None:
    with pytest.raises(ValueError, match="at least one working interval"):
        BusinessCalendar(zone=SHANGHAI)
    assert BusinessCalendar(zone=SHANGHAI, always_open=True).always_open


@pytest.mark.parametrize(
    "changes",
    [
        {"extra_working_days": {date(2026, 10, 10): 7}},
        {"extra_working_days": {datetime(2026, 10, 10, tzinfo=UTC): 0}},
        {"holidays": frozenset({"2026-10-01"})},
        {"zone": "Asia/Shanghai"},
        {"intervals": ((0, 540, 600),)},
    ],
)
def test_malformed_calendar_fields_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  (each case has its own message)
        dataclasses.replace(OFFICE, **changes)


def test_a_calendar_is_hashable_equal_by_value_and_immutable() -> None:
    copy = BusinessCalendar(
        zone=ZoneInfo("Asia/Shanghai"),
        intervals=tuple(reversed(OFFICE.intervals)),
        holidays=frozenset(CHINA_2026_HOLIDAYS),
        extra_working_days=dict(CHINA_2026_MAKE_UP_DAYS),
    )
    assert copy == OFFICE
    assert hash(copy) == hash(OFFICE)
    assert len({copy, OFFICE, PLAIN_OFFICE}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        OFFICE.always_open = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        OFFICE.extra_working_days[date(2026, 10, 11)] = 0  # type: ignore[index]


def test_changing_the_callers_mapping_later_does_not_change_the_calendar() -> None:
    make_up = {date(2026, 10, 10): 0}
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=OFFICE.intervals, extra_working_days=make_up)
    make_up[date(2026, 10, 11)] = 0
    assert not is_working_instant(calendar, sh(2026, 10, 11, 10, 0))
    assert dict(calendar.extra_working_days) == {date(2026, 10, 10): 0}


def test_a_list_of_intervals_is_stored_as_a_tuple() -> None:
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=list(OFFICE.intervals))  # type: ignore[arg-type]
    assert calendar.intervals == OFFICE.intervals
    assert hash(calendar) == hash(PLAIN_OFFICE)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add(OFFICE, datetime(2026, 3, 2, 9, 0), H),
        lambda: subtract(OFFICE, datetime(2026, 3, 2, 9, 0), H),
        lambda: elapsed(OFFICE, sh(2026, 3, 2), datetime(2026, 3, 3)),
        lambda: is_working_instant(OFFICE, datetime(2026, 3, 2, 9, 0)),
        lambda: next_working_instant(OFFICE, datetime(2026, 3, 2, 9, 0)),
    ],
)
def test_naive_datetimes_are_refused(call: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()  # type: ignore[operator]


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add(OFFICE, sh(2026, 3, 2), -US)
    with pytest.raises(ValueError, match="negative"):
        subtract(OFFICE, sh(2026, 3, 2), -H)


def test_a_calendar_off_for_more_than_ten_years_makes_the_search_give_up() -> None:
    off = frozenset(days(date(2026, 1, 1), date(2037, 12, 31)))
    calendar = dataclasses.replace(PLAIN_OFFICE, holidays=off)
    with pytest.raises(ValueError, match="no working time within 3653 days"):
        add(calendar, sh(2026, 3, 2), H)
    with pytest.raises(ValueError, match="no working time within 3653 days"):
        subtract(calendar, sh(2037, 12, 1), H)
    with pytest.raises(ValueError, match="no working time within 3653 days"):
        next_working_instant(calendar, sh(2026, 3, 2))
    assert elapsed(calendar, sh(2026, 1, 1), sh(2038, 1, 1)) == timedelta(0)


def test_a_calendar_off_for_years_still_finds_the_working_time_after() -> None:
    off = frozenset(days(date(2026, 1, 1), date(2031, 12, 31)))  # 2032-01-01 is a Thursday
    calendar = dataclasses.replace(PLAIN_OFFICE, holidays=off)
    assert add(calendar, sh(2026, 3, 2), H) == sh(2032, 1, 1, 10, 0)
    assert subtract(calendar, sh(2031, 6, 1), H) == sh(2025, 12, 31, 17, 0)
    assert timedelta(days=3653) == SEARCH_HORIZON


def test_leaving_the_range_of_datetimes_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="range of datetimes"):
        add(OFFICE, datetime(9999, 12, 20, tzinfo=UTC), 100 * H)
    with pytest.raises(ValueError, match="range of datetimes"):
        subtract(OFFICE, datetime(1, 1, 10, tzinfo=UTC), 100 * H)


def test_a_calendar_survives_pickling_with_its_equality_and_hash() -> None:
    copy = pickle.loads(pickle.dumps(OFFICE))  # noqa: S301  (our own object)
    assert copy == OFFICE
    assert hash(copy) == hash(OFFICE)
    assert add(copy, sh(2026, 9, 30, 17, 30), 4 * H) == sh(2026, 10, 8, 14, 0)


def test_the_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(businesstime.__file__).read_text(encoding="utf-8"))
    modules = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "bisect", "collections", "dataclasses", "datetime", "functools", "itertools"} | {
        "zoneinfo"
    }


# --- a slow, obviously correct reference ---------------------------------------------------------


def reference_boundary(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """Return the earliest instant whose wall-clock time in `zone` is at or after `day` + `minute`."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    candidates = [
        instant
        for fold in (0, 1)
        if (instant := wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)).astimezone(zone).replace(tzinfo=None)
        == wall
    ]
    if candidates:
        return min(candidates)
    # In a spring-forward gap: search the seconds between the two readings for the first instant
    # whose wall clock has passed `wall` (there is exactly one offset change between them).
    # Offsets change on whole seconds.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(wall.replace(tzinfo=zone, fold=0).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def reference_day(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """Return the working intervals of local date `day`, one by one from the definition."""
    if day in calendar.holidays:
        return []
    weekday = calendar.extra_working_days.get(day, day.weekday())
    return [
        (
            reference_boundary(calendar.zone, day, interval.start_minute),
            reference_boundary(calendar.zone, day, interval.end_minute),
        )
        for interval in sorted(calendar.intervals, key=lambda interval: interval.start_minute)
        if interval.weekday == weekday
    ]


def local_day(calendar: BusinessCalendar, at: datetime) -> date:
    return at.astimezone(calendar.zone).date()


def reference_elapsed(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if calendar.always_open:
        return end - start
    total = timedelta(0)
    for day in days(local_day(calendar, start) - timedelta(days=2), local_day(calendar, end) + timedelta(days=1)):
        for interval_start, interval_end in reference_day(calendar, day):
            total += max(timedelta(0), min(interval_end, end) - max(interval_start, start))
    return total


def reference_add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    start = start.astimezone(UTC)
    if calendar.always_open:
        return start + duration
    if not duration:
        return start
    remaining = duration
    day = local_day(calendar, start) - timedelta(days=2)
    for _ in range(3000):
        for interval_start, interval_end in reference_day(calendar, day):
            available_from = max(interval_start, start)
            if interval_end > available_from:
                if interval_end - available_from >= remaining:
                    return available_from + remaining
                remaining -= interval_end - available_from
        day += timedelta(days=1)
    raise AssertionError("the reference found no end")


def reference_subtract(calendar: BusinessCalendar, end: datetime, duration: timedelta) -> datetime:
    end = end.astimezone(UTC)
    if calendar.always_open:
        return end - duration
    if not duration:
        return end
    remaining = duration
    day = local_day(calendar, end) + timedelta(days=1)
    for _ in range(3000):
        for interval_start, interval_end in reversed(reference_day(calendar, day)):
            available_until = min(interval_end, end)
            if available_until > interval_start:
                if available_until - interval_start >= remaining:
                    return available_until - remaining
                remaining -= available_until - interval_start
        day -= timedelta(days=1)
    raise AssertionError("the reference found no start")


def reference_is_working(calendar: BusinessCalendar, at: datetime) -> bool:
    at = at.astimezone(UTC)
    if calendar.always_open:
        return True
    around = days(local_day(calendar, at) - timedelta(days=2), local_day(calendar, at) + timedelta(days=1))
    return any(start <= at < end for day in around for start, end in reference_day(calendar, day))


def reference_next_working(calendar: BusinessCalendar, at: datetime) -> datetime:
    at = at.astimezone(UTC)
    if calendar.always_open:
        return at
    day = local_day(calendar, at) - timedelta(days=2)
    for _ in range(3000):
        for start, end in reference_day(calendar, day):
            if end > at and end > start:
                return max(start, at)
        day += timedelta(days=1)
    raise AssertionError("the reference found no working time")


def test_the_reference_agrees_with_the_worked_examples() -> None:
    for start, duration, expected in (example.values for example in ADD_EXAMPLES):
        assert reference_add(OFFICE, start, duration) == expected  # type: ignore[arg-type]
        assert reference_elapsed(OFFICE, start, expected) == duration  # type: ignore[arg-type]
    for end, duration, expected in (example.values for example in SUBTRACT_EXAMPLES):
        assert reference_subtract(OFFICE, end, duration) == expected  # type: ignore[arg-type]
    assert reference_boundary(NEW_YORK, date(2026, 3, 8), 150) == utc(2026, 3, 8, 7, 0)
    assert reference_boundary(NEW_YORK, date(2026, 11, 1), 90) == utc(2026, 11, 1, 5, 30)


# --- properties -----------------------------------------------------------------------------------

ZONE_NAMES = ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC", "Australia/Lord_Howe"]
# Days just before offset changes (and Chinese holidays), so that scenarios often straddle them.
INTERESTING_DAYS = [
    date(2025, 3, 7),
    date(2025, 10, 24),
    date(2026, 3, 6),
    date(2026, 3, 27),
    date(2026, 4, 3),
    date(2026, 9, 29),
    date(2026, 10, 2),
    date(2026, 10, 23),
    date(2026, 10, 30),
    date(2027, 2, 1),
]
# Minutes that hit DST gaps and overlaps in the chosen zones, and ordinary office hours.
BOUNDARY_MINUTES = [0, 60, 90, 120, 150, 180, 540, 720, 810, 1080, 1410, 1440]
minutes = st.one_of(st.integers(0, 1440), st.sampled_from(BOUNDARY_MINUTES))


@st.composite
def day_patterns(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Return sorted, non-overlapping (possibly touching) minute intervals of one weekday."""
    bounds = sorted(draw(st.lists(minutes, max_size=6)))
    return [(start, end) for start, end in zip(bounds[::2], bounds[1::2], strict=False) if start < end]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessCalendar, date]:
    """Return a random calendar and a base date near which its holidays and make-up days lie."""
    zone = ZoneInfo(draw(st.sampled_from(ZONE_NAMES)))
    base = draw(st.one_of(st.sampled_from(INTERESTING_DAYS), st.dates(date(2025, 1, 1), date(2028, 10, 31))))
    # One schedule for Monday to Friday, one for the weekend, and a few days of their own.
    weekday_pattern, weekend_pattern = draw(day_patterns()), draw(day_patterns())
    own_patterns = draw(st.dictionaries(st.integers(0, 6), day_patterns(), max_size=2))
    intervals = [
        WorkingInterval(weekday, start, end)
        for weekday in range(7)
        for start, end in own_patterns.get(weekday, weekday_pattern if weekday < 5 else weekend_pattern)
    ]
    if not intervals:
        intervals.append(WorkingInterval(draw(st.integers(0, 6)), 540, 1020))
    holiday_offsets = draw(st.sets(st.integers(-10, 100), max_size=25))
    extra_offsets = draw(st.dictionaries(st.integers(-10, 100), st.integers(0, 6), max_size=6))
    calendar = BusinessCalendar(
        zone=zone,
        intervals=tuple(intervals),
        holidays=frozenset(base + timedelta(days=offset) for offset in holiday_offsets),
        extra_working_days={
            base + timedelta(days=offset): weekday
            for offset, weekday in extra_offsets.items()
            if offset not in holiday_offsets
        },
        always_open=draw(st.integers(0, 11)) == 0,
    )
    return calendar, base


# The offset changes of the chosen zones in 2025–2027 (UTC, to within 6 hours): instants are
# often drawn within a week of one.
OFFSET_CHANGES = sorted(
    {
        moment
        for name in ZONE_NAMES
        for step in range(3 * 365 * 4)
        if (moment := datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=6 * step))
        .astimezone(ZoneInfo(name))
        .utcoffset()
        != (moment - timedelta(hours=6)).astimezone(ZoneInfo(name)).utcoffset()
    }
)


@st.composite
def instants(draw: st.DrawFn, calendar: BusinessCalendar, base: date, *, within_days: int = 30) -> datetime:
    """Return an aware instant near `base` (anywhere to the microsecond, or on a local boundary),
    or within a week of an offset change."""
    if draw(st.integers(0, 4)) == 0:
        change = draw(st.sampled_from(OFFSET_CHANGES))
        return change + timedelta(microseconds=draw(st.integers(-7 * 86_400 * 10**6, 7 * 86_400 * 10**6)))
    day = base + timedelta(days=draw(st.integers(-3, within_days)))
    if draw(st.booleans()):
        wall = datetime.combine(day, time()) + timedelta(minutes=draw(minutes))
        return wall.replace(tzinfo=calendar.zone, fold=draw(st.integers(0, 1)))
    moment = datetime.combine(day, time(), tzinfo=UTC)
    return moment + timedelta(microseconds=draw(st.integers(0, 86_400 * 10**6 - 1)))


@st.composite
def durations(draw: st.DrawFn, calendar: BusinessCalendar) -> timedelta:
    """Return up to 60 days, at most ten nominal weeks of the calendar, often whole minutes."""
    cap = min(60 * 86_400, 10 * working_seconds_per_week(calendar)) * 10**6
    if draw(st.booleans()):
        return timedelta(minutes=draw(st.integers(0, cap // 60_000_000)))
    return timedelta(microseconds=draw(st.integers(0, cap)))


PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_add_matches_the_reference_and_elapsed_gives_the_duration_back(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    start = data.draw(instants(calendar, base))
    duration = data.draw(durations(calendar))
    due = add(calendar, start, duration)
    assert due == reference_add(calendar, start, duration)
    assert due >= start
    assert elapsed(calendar, start, due) == duration


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_subtract_matches_the_reference_and_elapsed_gives_the_duration_back(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    end = data.draw(instants(calendar, base, within_days=90))
    duration = data.draw(durations(calendar))
    begin = subtract(calendar, end, duration)
    assert begin == reference_subtract(calendar, end, duration)
    assert begin <= end
    assert elapsed(calendar, begin, end) == duration


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_elapsed_matches_the_reference_over_spans_up_to_ninety_days(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    start = data.draw(instants(calendar, base))
    end = start + timedelta(microseconds=data.draw(st.integers(0, 90 * 86_400 * 10**6)))
    assert elapsed(calendar, start, end) == reference_elapsed(calendar, start, end)
    assert elapsed(calendar, end, start) == -reference_elapsed(calendar, start, end)


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_add_is_monotonic_in_the_duration_and_in_the_start(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    first_start, second_start = sorted([data.draw(instants(calendar, base)), data.draw(instants(calendar, base))])
    shorter, longer = sorted([data.draw(durations(calendar)), data.draw(durations(calendar))])
    assert add(calendar, first_start, shorter) <= add(calendar, first_start, longer)
    assert add(calendar, first_start, shorter) <= add(calendar, second_start, shorter)
    assert subtract(calendar, first_start, longer) <= subtract(calendar, first_start, shorter)
    assert subtract(calendar, first_start, shorter) <= subtract(calendar, second_start, shorter)


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_adding_in_two_steps_is_adding_the_sum(data: st.DataObject, scenario: tuple[BusinessCalendar, date]) -> None:
    calendar, base = scenario
    start = data.draw(instants(calendar, base))
    first, second = data.draw(durations(calendar)), data.draw(durations(calendar))
    assert add(calendar, add(calendar, start, first), second) == add(calendar, start, first + second)
    assert subtract(calendar, subtract(calendar, start, first), second) == subtract(calendar, start, first + second)


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_elapsed_is_additive_over_any_three_instants(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    a, b, c = (data.draw(instants(calendar, base, within_days=60)) for _ in range(3))
    assert elapsed(calendar, a, c) == elapsed(calendar, a, b) + elapsed(calendar, b, c)
    assert elapsed(calendar, a, a) == timedelta(0)


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_add_lands_inside_working_time_or_on_an_interval_end_and_subtract_inside(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    at = data.draw(instants(calendar, base))
    duration = data.draw(durations(calendar).filter(bool))
    due = add(calendar, at, duration)
    # The microsecond just before the due time was working time: the clock ran up to it.
    assert is_working_instant(calendar, due - US)
    assert is_working_instant(calendar, subtract(calendar, at, duration))


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_next_working_instant_is_working_time_with_none_before_it(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date]
) -> None:
    calendar, base = scenario
    at = data.draw(instants(calendar, base))
    following = next_working_instant(calendar, at)
    assert following == reference_next_working(calendar, at)
    assert following >= at
    assert is_working_instant(calendar, following)
    assert elapsed(calendar, at, following) == timedelta(0)
    assert (following == at.astimezone(UTC)) is is_working_instant(calendar, at)


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios())
def test_is_working_instant_matches_the_reference(data: st.DataObject, scenario: tuple[BusinessCalendar, date]) -> None:
    calendar, base = scenario
    at = data.draw(instants(calendar, base, within_days=100))
    assert is_working_instant(calendar, at) is reference_is_working(calendar, at)


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONE_NAMES),
    start=st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)),
    span=st.timedeltas(timedelta(0), timedelta(days=400)),
)
def test_business_time_of_an_always_open_calendar_is_real_elapsed_time(
    zone: str, start: datetime, span: timedelta
) -> None:
    always_open = BusinessCalendar(zone=ZoneInfo(zone), always_open=True)
    every_day = BusinessCalendar(zone=ZoneInfo(zone), intervals=office_intervals((0, 1440), weekdays=range(7)))
    end = start + span
    for calendar in (always_open, every_day):
        assert elapsed(calendar, start, end) == span
        assert add(calendar, start, span) == end
        assert subtract(calendar, end, span) == start
        assert is_working_instant(calendar, start)


# --- next_off_hours: the first stretch outside working hours of at least a given length ----------


def test_next_off_hours_skips_a_lunch_break_shorter_than_asked() -> None:
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=office_intervals((540, 720), (810, 1080)))
    tuesday_morning = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)

    assert next_off_hours(calendar, tuesday_morning, min_length=2 * H) == datetime(2026, 3, 10, 18, tzinfo=SHANGHAI)
    assert next_off_hours(calendar, tuesday_morning, min_length=H) == datetime(2026, 3, 10, 12, tzinfo=SHANGHAI)


def test_next_off_hours_is_the_instant_itself_in_a_long_enough_stretch() -> None:
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=office_intervals((540, 1080)))
    evening = datetime(2026, 3, 10, 19, 0, tzinfo=SHANGHAI)

    assert next_off_hours(calendar, evening, min_length=2 * H) == evening


def test_next_off_hours_measures_a_stretch_across_the_end_of_the_week() -> None:
    # Working every hour but Friday 22:00 to Monday 02:00 (local): the stretch crosses the week boundary.
    intervals = (
        *office_intervals((0, 1440), weekdays=range(1, 4)),
        WorkingInterval(0, 120, 1440),
        WorkingInterval(4, 0, 1320),
    )
    calendar = BusinessCalendar(zone=SHANGHAI, intervals=intervals)

    found = next_off_hours(calendar, datetime(2026, 3, 11, 12, tzinfo=SHANGHAI), min_length=50 * H)

    assert found == datetime(2026, 3, 13, 22, tzinfo=SHANGHAI)


def test_next_off_hours_is_none_for_a_calendar_that_never_rests() -> None:
    every_day = BusinessCalendar(zone=SHANGHAI, intervals=office_intervals((0, 1440), weekdays=range(7)))

    assert next_off_hours(every_day, datetime(2026, 3, 10, tzinfo=UTC), min_length=H) is None
    assert (
        next_off_hours(
            BusinessCalendar(zone=SHANGHAI, always_open=True), datetime(2026, 3, 10, tzinfo=UTC), min_length=H
        )
        is None
    )


@PROPERTY_SETTINGS
@given(data=st.data(), scenario=scenarios(), hours=st.integers(0, 60))
def test_next_off_hours_starts_a_long_enough_stretch_without_working_time(
    data: st.DataObject, scenario: tuple[BusinessCalendar, date], hours: int
) -> None:
    calendar, base = scenario
    at = data.draw(instants(calendar, base, within_days=100))
    length = timedelta(hours=hours)

    found = next_off_hours(calendar, at, min_length=length)

    if found is None:
        # No such stretch: none begins at any hour of the next two weeks either.
        for step in range(0, 14 * 24, 3):
            start = at + step * H
            assert is_working_instant(calendar, start) or elapsed(calendar, start, start + length) > timedelta(0)
        return
    assert found >= at
    assert not is_working_instant(calendar, found)
    assert elapsed(calendar, found, found + length) == timedelta(0)
    # It starts where working time ends (or at `at`): no earlier start in the same stretch.
    assert found == at or is_working_instant(calendar, found - US)
