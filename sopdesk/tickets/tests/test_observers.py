"""The one channel through which ticket changes reach the apps that follow them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from sopdesk.accounts.models import User
from sopdesk.sla.follow import SlaClockFollower
from sopdesk.sla.models import TicketSla
from sopdesk.testing import factories
from sopdesk.tickets.actions import (
    ClosureSummary,
    add_comment,
    assign_ticket,
    change_status,
    edit_ticket_details,
    override_priority,
)
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.observers import changed


class Recorder:
    """A follower that writes down what it was told (and can fail on demand)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_on: str | None = None

    def _record(self, name: str, detail: Any = None) -> None:
        if name == self.fail_on:
            raise RuntimeError(f"follower failed on {name}")
        self.calls.append((name, detail))

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        self._record("created")

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        self._record("assigned", ticket.assignee_id)

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        self._record("public_reply")

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        self._record("status", (from_status, ticket.status))

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        self._record("classification", ticket.priority)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recording = Recorder()
    changed._observers.append(recording)
    try:
        yield recording
    finally:
        changed._observers.remove(recording)


def test_the_sla_clocks_follow_tickets_through_the_observer_channel() -> None:
    assert any(isinstance(observer, SlaClockFollower) for observer in changed.registered())


def test_registering_the_same_kind_of_follower_twice_keeps_one() -> None:
    before = changed.registered()
    changed.register(SlaClockFollower())
    assert changed.registered() == before


def test_every_action_tells_the_followers_what_changed(requester: User, agent: User, recorder: Recorder) -> None:
    ticket = factories.make_ticket(requester)
    now = ticket.created_at
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now)
    add_comment(ticket, actor=agent, body="Looking at it", is_internal=False, now=now)
    add_comment(ticket, actor=agent, body="internal", is_internal=True, now=now)
    change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=now)
    add_comment(ticket, actor=requester, body="Here is the log", is_internal=False, now=now)
    override_priority(ticket, priority="P1", reason="CEO's printer", actor=agent, now=now)
    edit_ticket_details(ticket, actor=agent, changes={"channel": "phone"}, now=now)
    change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=now, closure=ClosureSummary("a", "b", "c"))

    assert recorder.calls == [
        ("created", None),
        ("assigned", agent.pk),
        ("status", (Status.NEW, Status.ASSIGNED)),
        ("public_reply", None),
        ("status", (Status.ASSIGNED, Status.PENDING_CUSTOMER)),
        ("status", (Status.PENDING_CUSTOMER, Status.IN_PROGRESS)),
        ("classification", "P1"),
        ("classification", "P1"),
        ("status", (Status.IN_PROGRESS, Status.RESOLVED)),
    ]


def test_a_failing_follower_rolls_the_ticket_change_back(requester: User, agent: User, recorder: Recorder) -> None:
    ticket = factories.make_ticket(requester)
    version = ticket.version
    recorder.fail_on = "assigned"

    with pytest.raises(RuntimeError):
        assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=ticket.created_at)

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.assignee_id, stored.status, stored.version) == (None, Status.NEW, version)
    assert stored.events.count() == 1  # only "created"
    assert TicketSla.objects.get(pk=ticket.pk).assignment_met_at is None
