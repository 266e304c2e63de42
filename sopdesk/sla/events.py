"""Typed constructors for the SLA entries on a ticket's timeline (internal, written by the system)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sopdesk.accounts.models import User
from sopdesk.sla.choices import SlaEventKind
from sopdesk.tickets.events import EventRow, new_event
from sopdesk.tickets.models import Ticket, TicketEvent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def build(
    ticket: Ticket, kind: SlaEventKind, *, now: datetime, data: dict[str, Any], actor: User | None = None
) -> TicketEvent:
    """Return an unsaved internal event (the scanner records many at once)."""
    return new_event(ticket, kind, actor=actor, now=now, is_internal=True, data=data)


def _row(ticket_id: int, kind: SlaEventKind, *, now: datetime, data: dict[str, Any]) -> EventRow:
    return EventRow(ticket_id=ticket_id, kind=kind.value, created_at=now, data=data, is_internal=True)


# The scanner's entries, as rows: a sweep writes thousands of them at once (tickets.events.record_rows).


def warning(ticket_id: int, *, now: datetime, metric: str, at: datetime, due_at: datetime | None) -> EventRow:
    return _row(
        ticket_id, SlaEventKind.SLA_WARNING, now=now, data={"metric": metric, "at": _iso(at), "due_at": _iso(due_at)}
    )


def breached(ticket_id: int, *, now: datetime, metric: str, due_at: datetime, missed: int = 1) -> EventRow:
    data: dict[str, Any] = {"metric": metric, "due_at": _iso(due_at)}
    if missed > 1:
        data["missed"] = missed
    return _row(ticket_id, SlaEventKind.SLA_BREACHED, now=now, data=data)


def escalated(
    ticket_id: int,
    *,
    now: datetime,
    metric: str,
    rule_id: int | None,
    threshold_at: datetime,
    notified: list[int],
    actions: list[str],
) -> EventRow:
    return _row(
        ticket_id,
        SlaEventKind.SLA_ESCALATED,
        now=now,
        data={
            "metric": metric,
            "rule": rule_id,
            "threshold_at": _iso(threshold_at),
            "notified": notified,
            "actions": actions,
        },
    )


def targets_set(
    ticket: Ticket,
    *,
    now: datetime,
    actor: User | None,
    policy_id: int | None,
    before: dict[str, str | None],
    after: dict[str, str | None],
) -> TicketEvent:
    return build(
        ticket,
        SlaEventKind.SLA_TARGETS_SET,
        now=now,
        actor=actor,
        data={"policy": policy_id, "from": before, "to": after},
    )


def paused(ticket: Ticket, *, now: datetime, actor: User | None) -> TicketEvent:
    return build(ticket, SlaEventKind.SLA_PAUSED, now=now, actor=actor, data={"metric": "resolution"})


def resumed(ticket: Ticket, *, now: datetime, actor: User | None, due_at: datetime | None) -> TicketEvent:
    return build(
        ticket, SlaEventKind.SLA_RESUMED, now=now, actor=actor, data={"metric": "resolution", "due_at": _iso(due_at)}
    )


def overdue_reason_recorded(ticket: Ticket, *, metric: str, reason: str, actor: User, now: datetime) -> TicketEvent:
    """The overdue reason an agent gave for `metric` (internal; the reason is the entry's text)."""
    event = new_event(
        ticket,
        SlaEventKind.OVERDUE_REASON,
        actor=actor,
        now=now,
        body=reason,
        is_internal=True,
        data={"metric": metric},
    )
    event.save(force_insert=True)
    return event
