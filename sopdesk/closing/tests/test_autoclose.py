"""Auto-close: the reminder one working day before, the close after N working days, and what cancels them."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks

from sopdesk.accounts.models import User
from sopdesk.closing.autoclose import sweep
from sopdesk.closing.choices import ClosingEventKind
from sopdesk.closing.models import PendingClosure
from sopdesk.closing.tasks import autoclose_unanswered
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.models import OutboxMessage
from sopdesk.sla.choices import DateKind
from sopdesk.sla.models import Calendar, CalendarDate, TicketSla, WorkingInterval
from sopdesk.testing import factories
from sopdesk.tickets.actions import ClosureSummary, add_comment, assign_ticket, change_status
from sopdesk.tickets.choices import Status
from sopdesk.tickets.events import kind_choices
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSURE = ClosureSummary(problem="No network.", diagnosis="Unplugged cable.", solution="Plugged the cable in.")


def beijing(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# Friday 13 March 2026, 15:00; Monday 16 March is a holiday in the test calendar, so the three
# working days are Tuesday, Wednesday and Thursday.
RESOLVED = beijing(3, 13, 15)
REMIND = beijing(3, 18, 15)
CLOSE = beijing(3, 19, 15)


def office_calendar() -> Calendar:
    calendar = Calendar.objects.create(code="test-office", name="Test office", time_zone="Asia/Shanghai")
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, starts_at=time(9), ends_at=time(18))
    CalendarDate.objects.create(calendar=calendar, date=date(2026, 3, 16), kind=DateKind.HOLIDAY, name="Test")
    calendar.bump_revision()  # ids are reused between tests: no cached copy of another test's calendar
    return calendar


@pytest.fixture
def ticket(requester: User, agent: User, team_lead: User) -> Ticket:
    ticket = factories.make_ticket(requester, title="No network on desk 12", now=beijing(3, 12, 9))
    TicketSla.objects.filter(pk=ticket.pk).update(calendar=office_calendar())
    assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=beijing(3, 12, 10))
    return ticket


@pytest.fixture
def resolved(ticket: Ticket, agent: User) -> Ticket:
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)
    return ticket


def mails_to(user: User, containing: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user, subject__contains=containing))


def test_resolving_schedules_the_reminder_and_the_close_in_the_tickets_calendar(resolved: Ticket) -> None:
    pending = PendingClosure.objects.get(pk=resolved.pk)
    assert (pending.waiting_since_at, pending.remind_at, pending.close_at) == (RESOLVED, REMIND, CLOSE)


def test_the_reminder_is_sent_exactly_one_working_day_before_the_close(resolved: Ticket, requester: User) -> None:
    assert sweep(now=beijing(3, 18, 14, 59)).reminded == 0
    assert sweep(now=REMIND).reminded == 1
    (reminder,) = mails_to(requester, "Reminder")
    assert reminder.subject == f"[{resolved.number}] Reminder: your request closes on 19 Mar 2026, 15:00"
    assert f"http://testserver/portal/requests/{resolved.number}/" in reminder.body
    event = resolved.events.get(kind=ClosingEventKind.AUTOCLOSE_REMINDER)
    assert (event.actor_id, event.is_internal, event.created_at) == (None, False, REMIND)
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_the_ticket_closes_after_three_working_days_across_the_weekend_and_a_holiday(
    resolved: Ticket, requester: User
) -> None:
    assert sweep(now=beijing(3, 19, 14, 59)).closed == 0
    report = sweep(now=CLOSE)
    assert report.closed == 1
    resolved.refresh_from_db()
    assert (resolved.status, resolved.closed_at) == (Status.CLOSED, CLOSE)
    event = resolved.events.get(kind=ClosingEventKind.AUTO_CLOSED)
    assert event.actor_id is None
    assert event.data == {"from": "resolved", "to": "closed", "automatic": True}
    (mail,) = mails_to(requester, "Closed automatically")
    assert mail.subject == f"[{resolved.number}] Closed automatically: No network on desk 12"
    assert f"http://testserver/portal/requests/{resolved.number}/" in mail.body
    assert not PendingClosure.objects.filter(pk=resolved.pk).exists()
    # The SLA clocks followed the close like any other status change.
    assert resolved.sla.next_check_at is None


def test_running_the_sweep_again_sends_and_closes_nothing_twice(resolved: Ticket, requester: User) -> None:
    sweep(now=REMIND)
    assert sweep(now=REMIND).reminded == 0
    assert sweep(now=beijing(3, 18, 16)).reminded == 0
    assert resolved.events.filter(kind=ClosingEventKind.AUTOCLOSE_REMINDER).count() == 1
    assert len(mails_to(requester, "Reminder")) == 1
    sweep(now=CLOSE)
    assert sweep(now=CLOSE).closed == 0
    assert resolved.events.filter(kind=ClosingEventKind.AUTO_CLOSED).count() == 1
    assert len(mails_to(requester, "Closed automatically")) == 1


def test_a_catch_up_after_downtime_closes_without_a_late_reminder(resolved: Ticket, requester: User) -> None:
    report = sweep(now=beijing(3, 20, 9))
    assert (report.reminded, report.closed) == (0, 1)
    assert mails_to(requester, "Reminder") == []


def test_an_answer_from_the_requester_cancels_the_reminder_and_the_close(resolved: Ticket, requester: User) -> None:
    add_comment(resolved, actor=requester, body="It fails again since this morning.", is_internal=False, now=REMIND)
    report = sweep(now=REMIND)
    assert (report.cancelled, report.reminded) == (1, 0)
    assert sweep(now=beijing(3, 25, 9)).closed == 0
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert mails_to(requester, "Reminder") == []


def test_a_reopen_cancels_the_close(resolved: Ticket, requester: User) -> None:
    sweep(now=REMIND)
    change_status(resolved, to_status=Status.IN_PROGRESS, actor=requester, now=REMIND, reason="Still broken.")
    assert not PendingClosure.objects.filter(pk=resolved.pk).exists()
    assert sweep(now=beijing(3, 25, 9)).closed == 0
    resolved.refresh_from_db()
    assert resolved.status == Status.IN_PROGRESS


def test_a_requester_confirmation_closes_it_and_leaves_nothing_to_do(resolved: Ticket, requester: User) -> None:
    change_status(resolved, to_status=Status.CLOSED, actor=requester, now=REMIND)
    assert not PendingClosure.objects.filter(pk=resolved.pk).exists()
    assert sweep(now=beijing(3, 25, 9)) == type(sweep(now=beijing(3, 25, 9)))()


def test_a_proposed_fix_without_an_answer_closes_too(ticket: Ticket, agent: User) -> None:
    change_status(ticket, to_status=Status.IN_PROGRESS, actor=agent, now=RESOLVED)
    change_status(ticket, to_status=Status.PENDING_CONFIRMATION, actor=agent, now=RESOLVED, closure=CLOSURE)
    sweep(now=CLOSE)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at, ticket.closure_solution) == (
        Status.CLOSED,
        CLOSE,
        "Plugged the cable in.",
    )
    assert ticket.resolved_at == CLOSE


def test_the_mails_are_in_the_requesters_language(resolved: Ticket, requester: User) -> None:
    User.objects.filter(pk=requester.pk).update(language="zh-hans")
    sweep(now=REMIND)
    sweep(now=CLOSE)
    subjects = sorted(OutboxMessage.objects.filter(recipient=requester).values_list("subject", flat=True))
    assert f"[{resolved.number}] 提醒：您的请求将于 2026年3月19日 15:00 关闭" in subjects
    assert f"[{resolved.number}] 已自动关闭：No network on desk 12" in subjects


def test_without_an_sla_calendar_the_desk_default_calendar_counts(ticket: Ticket, agent: User, settings: Any) -> None:
    TicketSla.objects.filter(pk=ticket.pk).update(calendar=None)
    settings.SOPDESK_DEFAULT_CALENDAR = "test-office"
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)
    assert PendingClosure.objects.get(pk=ticket.pk).close_at == CLOSE


@override_settings(SOPDESK_DEFAULT_CALENDAR="")
def test_without_any_calendar_monday_to_friday_counts(ticket: Ticket, agent: User) -> None:
    TicketSla.objects.filter(pk=ticket.pk).update(calendar=None)
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)
    # Monday, Tuesday, Wednesday: no holiday in the fallback calendar.
    assert PendingClosure.objects.get(pk=ticket.pk).close_at == beijing(3, 18, 15)


@override_settings(SOPDESK_AUTOCLOSE_WORKING_DAYS=5)
def test_the_number_of_working_days_is_configurable(ticket: Ticket, agent: User) -> None:
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)
    pending = PendingClosure.objects.get(pk=ticket.pk)
    assert (pending.remind_at, pending.close_at) == (beijing(3, 20, 15), beijing(3, 23, 15))


def test_a_hostile_title_stays_text_in_the_reminder(
    requester: User,
    agent: User,
    team_lead: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    title = "<script>alert(1)</script> {{ request_url }} {% debug %}"
    ticket = factories.make_ticket(requester, title=title, now=beijing(3, 12, 9))
    TicketSla.objects.filter(pk=ticket.pk).update(calendar=office_calendar())
    assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=beijing(3, 12, 10))
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=REMIND)
    (mail,) = [message for message in mailoutbox if "Reminder" in message.subject]
    assert f"“{title}”" in mail.body
    assert mail.content_subtype == "plain"


def test_the_periodic_job_sweeps_at_the_current_time(resolved: Ticket, requester: User) -> None:
    with time_machine.travel(REMIND, tick=False):
        autoclose_unanswered.call_local()
    with time_machine.travel(CLOSE, tick=False):
        autoclose_unanswered.call_local()
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED
    assert len(mails_to(requester, "Reminder")) == 1


def test_reminding_many_tickets_takes_as_many_statements_as_reminding_one(
    requester: User, agent: User, team_lead: User
) -> None:
    def resolve_tickets(count: int) -> None:
        calendar = Calendar.objects.filter(code="test-office").first() or office_calendar()
        for _ in range(count):
            ticket = factories.make_ticket(requester, now=beijing(3, 12, 9))
            TicketSla.objects.filter(pk=ticket.pk).update(calendar=calendar)
            assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=beijing(3, 12, 10))
            change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=RESOLVED, closure=CLOSURE)

    resolve_tickets(1)
    with CaptureQueriesContext(connection) as one:
        assert sweep(now=REMIND).reminded == 1
    resolve_tickets(5)
    with CaptureQueriesContext(connection) as five:
        assert sweep(now=REMIND).reminded == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_an_answer_after_the_reminder_still_cancels_the_close(resolved: Ticket, requester: User) -> None:
    sweep(now=REMIND)
    add_comment(resolved, actor=requester, body="Not fixed, sorry.", is_internal=False, now=beijing(3, 18, 16))
    report = sweep(now=CLOSE)
    assert (report.cancelled, report.closed) == (1, 0)
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_tickets_waiting_before_the_upgrade_are_scheduled_from_now_by_the_command(resolved: Ticket) -> None:
    PendingClosure.objects.all().delete()
    out = StringIO()
    with time_machine.travel(beijing(3, 20, 10), tick=False):
        call_command("schedule_autoclose", stdout=out)
        call_command("schedule_autoclose", stdout=StringIO())  # a second run finds nothing to do
    assert out.getvalue().strip() == "1 ticket scheduled for auto-close."
    pending = PendingClosure.objects.get(pk=resolved.pk)
    # Counted from the command's run (Friday 20 March, 10:00), not from the resolution a week earlier.
    assert (pending.remind_at, pending.close_at) == (beijing(3, 24, 10), beijing(3, 25, 10))


def test_a_requester_who_muted_request_mails_gets_the_reminder_in_the_inbox_only(
    resolved: Ticket, requester: User
) -> None:
    User.objects.filter(pk=requester.pk).update(email_muted_kinds=[NotificationKind.TICKET_EVENT])
    assert sweep(now=REMIND).reminded == 1
    assert resolved.notifications.filter(recipient=requester, subject__contains="Reminder").count() == 1
    assert not OutboxMessage.objects.filter(recipient=requester, subject__contains="Reminder").exists()


def test_the_api_timeline_of_an_automatically_closed_ticket_names_its_entries(
    resolved: Ticket, requester: User, api_client: Any
) -> None:
    sweep(now=REMIND)
    sweep(now=CLOSE)
    response = api_client(requester).get(f"/api/v1/tickets/{resolved.number}/events")
    assert response.status_code == 200
    kinds = [event["kind"] for event in response.json()["items"]]
    assert {ClosingEventKind.AUTOCLOSE_REMINDER, ClosingEventKind.AUTO_CLOSED} <= set(kinds)


def test_the_api_schema_lists_every_registered_timeline_entry_kind() -> None:
    schema = json.loads((Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.json").read_text())
    listed = schema["components"]["schemas"]["EventOut"]["properties"]["kind"]["enum"]
    assert sorted(listed) == sorted(value for value, _label in kind_choices())
