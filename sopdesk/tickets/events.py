"""Typed constructors for timeline events; each writes one append-only row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sopdesk.accounts.models import User
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent


def _write(
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: User | None,
    now: datetime,
    body: str = "",
    is_internal: bool = False,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, created_at=now, body=body, is_internal=is_internal, data=data or {}
    )


def ticket_created(ticket: Ticket, *, actor: User, now: datetime) -> TicketEvent:
    return _write(
        ticket,
        EventKind.CREATED,
        actor=actor,
        now=now,
        data={"channel": ticket.channel, "priority": ticket.priority, "on_behalf": actor.pk != ticket.requester_id},
    )


def comment_added(ticket: Ticket, *, actor: User, now: datetime, body: str, is_internal: bool) -> TicketEvent:
    kind = EventKind.INTERNAL_NOTE if is_internal else EventKind.PUBLIC_REPLY
    return _write(ticket, kind, actor=actor, now=now, body=body, is_internal=is_internal)


def status_changed(
    ticket: Ticket, *, actor: User | None, now: datetime, from_status: str, to_status: str, reason: str
) -> TicketEvent:
    return _write(
        ticket,
        EventKind.STATUS_CHANGED,
        actor=actor,
        now=now,
        body=reason,
        data={"from": from_status, "to": to_status},
    )


def reopened(ticket: Ticket, *, actor: User, now: datetime, from_status: str, reason: str) -> TicketEvent:
    return _write(
        ticket,
        EventKind.REOPENED,
        actor=actor,
        now=now,
        body=reason,
        data={"from": from_status, "to": ticket.status, "reopened_count": ticket.reopened_count},
    )


def assigned(
    ticket: Ticket,
    *,
    actor: User | None,
    now: datetime,
    from_team: int | None,
    from_assignee: int | None,
    note: str,
) -> TicketEvent:
    return _write(
        ticket,
        EventKind.ASSIGNED,
        actor=actor,
        now=now,
        body=note,
        # Who assigns to whom is internal routing detail.
        is_internal=True,
        data={
            "team": {"from": from_team, "to": ticket.team_id},
            "assignee": {"from": from_assignee, "to": ticket.assignee_id},
        },
    )


def priority_changed(
    ticket: Ticket, *, actor: User | None, now: datetime, from_priority: str, reason: str, is_override: bool
) -> TicketEvent:
    return _write(
        ticket,
        EventKind.PRIORITY_CHANGED,
        actor=actor,
        now=now,
        body=reason,
        is_internal=True,
        data={"from": from_priority, "to": ticket.priority, "is_override": is_override},
    )


def details_changed(ticket: Ticket, *, actor: User, now: datetime, changes: dict[str, Any]) -> TicketEvent:
    return _write(ticket, EventKind.DETAILS_CHANGED, actor=actor, now=now, data={"changes": changes})


def attachment_added(
    ticket: Ticket, *, actor: User, now: datetime, attachment_id: int, name: str, is_internal: bool
) -> TicketEvent:
    return _write(
        ticket,
        EventKind.ATTACHMENT_ADDED,
        actor=actor,
        now=now,
        is_internal=is_internal,
        data={"attachment_id": attachment_id, "name": name},
    )
