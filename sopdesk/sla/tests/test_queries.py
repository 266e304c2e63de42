"""Reading clocks: snapshots in bulk with constant queries, and which tickets are breaching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.sla.calendars import business_calendar
from sopdesk.sla.choices import ClockState, DateKind, Metric
from sopdesk.sla.config import put_calendar_date
from sopdesk.sla.models import Calendar, TicketSla
from sopdesk.sla.queries import breaching_tickets, expected_clocks, sla_snapshot, sla_snapshots
from sopdesk.sla.scanner import sweep
from sopdesk.sla.tests.conftest import FrozenClock, beijing
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.actions import ClosureSummary, change_status
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

P1 = {"impact": "multiple_users", "urgency": "critical"}
P3 = {"impact": "single_user", "urgency": "high"}


def test_snapshots_cost_the_same_queries_for_few_and_many_tickets(requester: User) -> None:
    def queries_for(count: int) -> int:
        while Ticket.objects.count() < count:
            make_ticket(requester, **P3)
        tickets = list(Ticket.objects.all())
        with CaptureQueriesContext(connection) as context:
            snapshots = sla_snapshots(tickets, now=timezone.now())
        assert len(snapshots) == count
        return len(context.captured_queries)

    business_calendar(Calendar.objects.get(code="office"))  # warm the calendar cache
    assert queries_for(2) == queries_for(20) == 2


def test_a_ticket_without_clocks_reads_as_no_target(requester: User) -> None:
    ticket = make_ticket(requester, **P3)
    TicketSla.objects.filter(pk=ticket.pk).delete()
    assert sla_snapshot(ticket, now=timezone.now()).state == ClockState.NONE


def test_breaching_tickets_are_the_open_ones_in_warning_or_breach(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    clock.move_to(beijing(2026, 10, 12, 10, 0))
    urgent = make_ticket(requester, now=timezone.now(), **P1)
    calm = make_ticket(requester, now=timezone.now(), **P3)
    done = make_ticket(requester, now=timezone.now(), **P1)
    change_status(
        done,
        to_status=Status.RESOLVED,
        actor=agent,
        now=timezone.now(),
        closure=ClosureSummary(problem="p", diagnosis="d", solution="s"),
    )
    clock.move_to(beijing(2026, 10, 12, 10, 20))
    now = timezone.now()
    # Before any sweep the due instants alone tell who is late.
    assert set(breaching_tickets(Ticket.objects.all(), now=now)) == {urgent, calm}  # P3 assignment due 10:15
    sweep(now=now)
    assert set(breaching_tickets(Ticket.objects.all(), now=now)) == {urgent, calm}
    assert sla_snapshot(urgent, now=now).state == ClockState.BREACHED
    assert sla_snapshot(done, now=now).state == ClockState.MET


def test_calendar_cache_notices_a_new_holiday(requester: User) -> None:
    office = Calendar.objects.get(code="office")
    before = business_calendar(office)
    assert business_calendar(Calendar.objects.get(code="office")) is before
    put_calendar_date(office, date=beijing(2027, 3, 3).date(), kind=DateKind.HOLIDAY, actor=None, now=timezone.now())
    after = business_calendar(Calendar.objects.get(code="office"))
    assert after is not before
    assert beijing(2027, 3, 3).date() in after.holidays


def test_remaining_business_time_is_reported_per_clock(requester: User, clock: FrozenClock) -> None:
    clock.move_to(beijing(2026, 10, 12, 9, 0))
    ticket = make_ticket(requester, now=timezone.now(), **P3)
    clock.move_to(beijing(2026, 10, 12, 11, 48))
    view = sla_snapshot(ticket, now=timezone.now()).metric(Metric.FIRST_RESPONSE)
    # Due 14:30: 12 min before lunch and 1 h after it.
    assert view.remaining == timedelta(hours=1, minutes=12)
    assert view.state == ClockState.OK


def test_the_expected_clocks_of_an_unsaved_ticket_are_those_its_creation_starts(requester: User) -> None:
    now = beijing(2026, 3, 10, 17, 30)  # a Tuesday, half an hour before the office closes
    for facts in (P1, P3):
        created = make_ticket(requester, category="network", now=now, **facts)
        unsaved = Ticket(requester=requester, organization=requester.organization, category=created.category, **facts)
        unsaved.priority = created.priority
        expected, actual = expected_clocks(unsaved, now=now), sla_snapshot(created, now=now)
        assert expected.policy_id == actual.policy_id is not None
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
            assert expected.metric(metric).due_at == actual.metric(metric).due_at is not None
