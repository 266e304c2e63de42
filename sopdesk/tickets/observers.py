"""How other domains follow ticket changes without the ticket app knowing them.

The ticket actions report each change through `changed` below, inside their transaction and
with the ticket row locked; apps above tickets (the SLA clocks today, routing and search later)
register an observer in their `AppConfig.ready()`. This keeps the dependency one-way
(`sla` imports `tickets`, never the reverse) while the clocks still follow every change in the
same transaction — a failing observer rolls the ticket change back. See docs/architecture.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.tickets.models import Ticket


class TicketObserver(Protocol):
    """What a follower of tickets is told; every method runs in the action's transaction."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None: ...

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None: ...

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None: ...

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None: ...

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        """Priority, category or channel changed: whatever was matched on them is matched again."""
        ...


class TeamObserver(Protocol):
    """A follower of the team a ticket is in (automatic assignment); runs in the action's transaction."""

    def team_changed(self, ticket: Ticket, *, from_team_id: int | None, now: datetime) -> None: ...


class _Observers:
    """The registered observers, called in registration order."""

    def __init__(self) -> None:
        self._observers: list[TicketObserver] = []
        self._team_observers: list[TeamObserver] = []

    def register_team_observer(self, observer: TeamObserver) -> None:
        if any(type(existing) is type(observer) for existing in self._team_observers):
            return
        self._team_observers.append(observer)

    def team_changed(self, ticket: Ticket, *, from_team_id: int | None, now: datetime) -> None:
        """`ticket` moved to another team (its assignee may be cleared): whoever assigns in teams decides."""
        for observer in self._team_observers:
            observer.team_changed(ticket, from_team_id=from_team_id, now=now)

    def register(self, observer: TicketObserver) -> None:
        if any(type(existing) is type(observer) for existing in self._observers):
            return  # ready() can run twice in some test set-ups; one instance per class
        self._observers.append(observer)

    def registered(self) -> tuple[TicketObserver, ...]:
        return tuple(self._observers)

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        for observer in self._observers:
            observer.ticket_created(ticket, now=now)

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        for observer in self._observers:
            observer.ticket_assigned(ticket, now=now)

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        for observer in self._observers:
            observer.public_reply_added(ticket, now=now)

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        for observer in self._observers:
            observer.status_changed(ticket, from_status=from_status, actor=actor, now=now)

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        for observer in self._observers:
            observer.classification_changed(ticket, actor=actor, now=now)

    def text_changed(self, ticket: Ticket, *, now: datetime) -> None:
        """Title, description, a reply or an internal note changed. Optional for observers: only
        those with a `text_changed` method are told (the search index)."""
        for observer in self._observers:
            follow = getattr(observer, "text_changed", None)
            if follow is not None:
                follow(ticket, now=now)

    def difficulty_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        """Optional for observers: only those with a `difficulty_changed` method are told."""
        for observer in self._observers:
            follow = getattr(observer, "difficulty_changed", None)
            if follow is not None:
                follow(ticket, actor=actor, now=now)


changed = _Observers()
"""The one channel through which ticket actions announce their changes."""


def register_observer(observer: TicketObserver) -> None:
    """Have `observer` follow every ticket change (call from an AppConfig.ready())."""
    changed.register(observer)


def register_team_observer(observer: TeamObserver) -> None:
    """Have `observer` told when a ticket moves to another team (call from an AppConfig.ready())."""
    changed.register_team_observer(observer)
