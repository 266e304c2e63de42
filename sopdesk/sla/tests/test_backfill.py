"""Tickets from before the SLA engine get the clocks their timelines imply."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.sla.models import TicketSla
from sopdesk.sla.tests.conftest import FrozenClock, beijing
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.actions import add_comment, assign_ticket, change_status, override_priority
from sopdesk.tickets.choices import Priority, Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

P3 = {"impact": "single_user", "urgency": "high"}
COMPARED = (
    "policy_id",
    "assignment_due_at",
    "assignment_met_at",
    "first_response_due_at",
    "first_response_met_at",
    "resolution_due_at",
    "resolution_met_at",
    "resolution_paused_at",
    "paused_seconds",
    "update_due_at",
    "next_check_at",
)


def history(requester: User, agent: User, clock: FrozenClock) -> Ticket:
    clock.move_to(beijing(2026, 10, 12, 9, 0))
    ticket = make_ticket(requester, now=timezone.now(), **P3)
    clock.move_to(beijing(2026, 10, 12, 9, 10))
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 12, 10, 0))
    add_comment(ticket, actor=agent, body="Can you send a photo?", is_internal=False, now=timezone.now())
    change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=timezone.now())
    clock.move_to(beijing(2026, 10, 13, 10, 0))
    add_comment(ticket, actor=requester, body="Attached.", is_internal=False, now=timezone.now())
    clock.move_to(beijing(2026, 10, 13, 11, 0))
    override_priority(ticket, priority=Priority.P2, reason="Affects billing", actor=agent, now=timezone.now())
    return ticket


def test_replayed_clocks_equal_the_clocks_the_actions_kept(requester: User, agent: User, clock: FrozenClock) -> None:
    ticket = history(requester, agent, clock)
    kept = TicketSla.objects.get(pk=ticket.pk)
    TicketSla.objects.filter(pk=ticket.pk).delete()
    out = StringIO()
    call_command("start_sla_clocks", stdout=out)
    replayed = TicketSla.objects.get(pk=ticket.pk)
    assert {name: getattr(replayed, name) for name in COMPARED} == {name: getattr(kept, name) for name in COMPARED}
    assert "1/1 tickets" in out.getvalue()


def test_an_action_on_a_ticket_without_clocks_replays_its_timeline_first(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    ticket = history(requester, agent, clock)
    kept = TicketSla.objects.get(pk=ticket.pk)
    TicketSla.objects.filter(pk=ticket.pk).delete()
    clock.move_to(beijing(2026, 10, 13, 11, 30))
    add_comment(ticket, actor=agent, body="Fixed?", is_internal=False, now=timezone.now())
    rebuilt = TicketSla.objects.get(pk=ticket.pk)
    assert rebuilt.first_response_met_at == kept.first_response_met_at == beijing(2026, 10, 12, 10, 0)
    assert rebuilt.paused_seconds == kept.paused_seconds


def test_catching_up_silently_records_breaches_without_notifications(
    requester: User, agent: User, clock: FrozenClock
) -> None:
    ticket = history(requester, agent, clock)
    TicketSla.objects.filter(pk=ticket.pk).delete()
    clock.move_to(beijing(2026, 10, 20, 10, 0))
    out = StringIO()
    call_command("start_sla_clocks", "--catch-up-silently", stdout=out)
    assert re.search(r"Caught up: \d+ warnings, 1 breaches, \d+ escalations recorded", out.getvalue())
    assert TicketSla.objects.get(pk=ticket.pk).resolution_breached_at is not None
    assert not agent.notifications.filter(kind="sla_breach").exists()


def test_a_bad_batch_size_is_a_readable_error() -> None:
    with pytest.raises(CommandError, match="batch-size"):
        call_command("start_sla_clocks", "--batch-size", "0")
