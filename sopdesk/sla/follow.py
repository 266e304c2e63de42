"""The SLA clocks as an observer of tickets: each ticket change moves the clocks in its transaction."""

from __future__ import annotations

from datetime import datetime

from sopdesk.accounts.models import User
from sopdesk.sla import actions
from sopdesk.tickets.models import Ticket


class SlaClockFollower:
    """Implements `sopdesk.tickets.observers.TicketObserver` with the clock actions."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        actions.start_clocks(ticket, now=now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        actions.ticket_assigned(ticket, now=now)

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        actions.public_reply_added(ticket, now=now)

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        actions.status_changed(ticket, from_status=from_status, actor=actor, now=now)

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        actions.retarget(ticket, actor=actor, now=now)
