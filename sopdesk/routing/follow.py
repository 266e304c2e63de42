"""The routing app follows tickets: difficulty 4, at creation or set later, marks a major incident."""

from __future__ import annotations

from datetime import datetime

from sopdesk.accounts.models import User
from sopdesk.routing.actions import flag_major_incident
from sopdesk.tickets.choices import Difficulty
from sopdesk.tickets.models import Ticket


class MajorIncidentFollower:
    """Registered in RoutingConfig.ready(); runs in the creating action's transaction."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        if ticket.difficulty >= Difficulty.MAJOR:
            flag_major_incident(ticket, now=now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        return None

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        return None

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        return None

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        return None

    def difficulty_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        if ticket.difficulty >= Difficulty.MAJOR:
            flag_major_incident(ticket, now=now)
