"""Automatic assignment follows tickets into teams (registered in WorkforceConfig.ready)."""

from __future__ import annotations

from datetime import datetime

from sopdesk.accounts.models import User
from sopdesk.tickets.models import Ticket
from sopdesk.workforce.assignment import assign_arrival


class AssignmentFollower:
    """A new ticket, or one moved to another team unassigned, is given to an agent by the team's strategy."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        assign_arrival(ticket, now=now)

    def team_changed(self, ticket: Ticket, *, from_team_id: int | None, now: datetime) -> None:
        assign_arrival(ticket, now=now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        pass

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        pass

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        pass

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        pass
