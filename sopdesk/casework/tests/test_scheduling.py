"""The off-peak hint for solution plans: outside working hours, or the next long enough stretch outside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.casework.scheduling import calendar_for_plans, off_peak_hint, off_peak_hint_for
from sopdesk.lib.businesstime import BusinessCalendar, WorkingInterval
from sopdesk.testing import factories
from sopdesk.tickets.actions import override_priority

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday to Friday, 09:00–12:00 and 13:30–18:00, like the seeded office calendar.
OFFICE = BusinessCalendar(
    zone=SHANGHAI,
    intervals=tuple(
        WorkingInterval(weekday=day, start_minute=start, end_minute=end)
        for day in range(5)
        for start, end in ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))
    ),
    holidays=frozenset({datetime(2026, 10, 1).date()}),
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_a_time_in_the_evening_is_off_peak() -> None:
    hint = off_peak_hint(OFFICE, local(2026, 3, 10, 20, 0))

    assert hint.is_off_peak
    assert hint.suggested_at is None


def test_a_time_in_working_hours_suggests_the_evening_not_the_lunch_break() -> None:
    hint = off_peak_hint(OFFICE, local(2026, 3, 10, 10, 0))  # a Tuesday

    assert not hint.is_off_peak
    assert hint.suggested_at == local(2026, 3, 10, 18, 0)


def test_a_shorter_minimum_accepts_the_lunch_break() -> None:
    hint = off_peak_hint(OFFICE, local(2026, 3, 10, 10, 0), min_length=timedelta(hours=1))

    assert hint.suggested_at == local(2026, 3, 10, 12, 0)


def test_friday_afternoon_suggests_friday_evening() -> None:
    assert off_peak_hint(OFFICE, local(2026, 3, 13, 17, 59)).suggested_at == local(2026, 3, 13, 18, 0)


def test_a_holiday_is_off_peak() -> None:
    assert off_peak_hint(OFFICE, local(2026, 10, 1, 10, 0)).is_off_peak


def test_the_lunch_break_itself_is_off_peak() -> None:
    assert off_peak_hint(OFFICE, local(2026, 3, 10, 12, 30)).is_off_peak


def test_the_suggestion_is_returned_in_utc_and_names_the_same_instant() -> None:
    suggested = off_peak_hint(OFFICE, datetime(2026, 3, 10, 2, 0, tzinfo=UTC)).suggested_at

    assert suggested == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def test_a_calendar_that_never_rests_has_no_off_peak_time() -> None:
    always = BusinessCalendar(zone=SHANGHAI, always_open=True)

    hint = off_peak_hint(always, local(2026, 3, 10, 3, 0))

    assert not hint.is_off_peak
    assert hint.suggested_at is None


@pytest.mark.django_db
def test_plans_use_the_office_hours_of_the_tickets_clocks(requester: User, service_desk: Team) -> None:
    ticket = factories.make_ticket(requester)  # P3: the seeded office calendar

    hint = off_peak_hint_for(ticket, local(2026, 3, 10, 10, 0))

    assert hint is not None
    assert hint.suggested_at == local(2026, 3, 10, 18, 0)


@pytest.mark.django_db
def test_a_ticket_measured_around_the_clock_still_gets_office_hours(
    requester: User, agent: User, service_desk: Team
) -> None:
    ticket = factories.make_ticket(requester)
    override_priority(ticket, priority="P1", reason="Core system down", actor=agent, now=datetime.now(tz=UTC))

    calendar = calendar_for_plans(ticket)

    assert calendar is not None
    assert not calendar.always_open
