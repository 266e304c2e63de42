"""Typed constructors for the collaboration entries on a ticket's timeline (internal: staff only)."""

from __future__ import annotations

from datetime import datetime

from sopdesk.accounts.models import User
from sopdesk.collaboration.choices import CollaborationEventKind
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.tickets.events import EventRow, new_event
from sopdesk.tickets.models import TicketEvent


def _data(request: CollaborationRequest) -> dict[str, object]:
    return {
        "request": request.pk,
        "team": request.to_team_id,
        "team_name": request.to_team.name,
        "state": request.state,
    }


def record(
    request: CollaborationRequest, kind: CollaborationEventKind, *, actor: User | None, now: datetime, body: str = ""
) -> TicketEvent:
    """Write one internal entry about `request` on its ticket's timeline."""
    event = new_event(request.ticket, kind, actor=actor, now=now, body=body, is_internal=True, data=_data(request))
    event.save(force_insert=True)
    return event


def late_row(request: CollaborationRequest, *, now: datetime) -> EventRow:
    """The "not accepted in time" entry of `request` as a plain row (written in bulk by the scan)."""
    data = _data(request)
    data["accept_due_at"] = request.accept_due_at.isoformat()
    return EventRow(
        ticket_id=request.ticket_id,
        kind=CollaborationEventKind.ACCEPTANCE_LATE,
        created_at=now,
        data=data,
        is_internal=True,
    )
