"""The ticket timeline: the kinds of entry it holds and typed constructors that write them.

Other apps add their own kinds (`register_event_kinds`, from their AppConfig.ready) and write
through `new_event` / `record_many`, so every timeline row is made here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import models
from django.utils.functional import Promise

from sopdesk.accounts.models import User
from sopdesk.core.bulk import insert_rows
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent

_KIND_LABELS: dict[str, str | Promise] = dict(EventKind.choices)


def register_event_kinds(kinds: type[models.TextChoices]) -> None:
    """Make `kinds` known to the timeline (labels for display); values must not clash with others."""
    for value, label in kinds.choices:
        if _KIND_LABELS.get(value, label) != label:
            raise ValueError(f"timeline event kind {value!r} is registered twice")
        _KIND_LABELS[value] = label


def kind_label(kind: str) -> str:
    """Return the translated label of an event kind (the raw value for an unknown one)."""
    return str(_KIND_LABELS.get(kind, kind))


def kind_choices() -> list[tuple[str, str | Promise]]:
    """Return every registered kind with its label (for filters in the admin and the API)."""
    return list(_KIND_LABELS.items())


def new_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    now: datetime,
    body: str = "",
    is_internal: bool = False,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Return an unsaved timeline entry of a registered kind (for `record_many`)."""
    if kind not in _KIND_LABELS:
        raise ValueError(f"unknown timeline event kind {kind!r}")
    return TicketEvent(
        ticket=ticket, kind=kind, actor=actor, created_at=now, body=body, is_internal=is_internal, data=data or {}
    )


def record_many(entries: Sequence[TicketEvent]) -> None:
    """Write many unsaved entries in one statement."""
    TicketEvent.objects.bulk_create(entries)


class EventRow(NamedTuple):
    """A timeline entry as a plain row, for writers of thousands at once (`record_rows`)."""

    ticket_id: int
    kind: str
    created_at: datetime
    data: dict[str, Any]
    actor_id: int | None = None
    is_internal: bool = False
    body: str = ""


_EVENT_ROW_COLUMNS = ("ticket", "kind", "created_at", "data", "actor", "is_internal", "body")


def record_rows(entries: Sequence[EventRow]) -> None:
    """Write many entries of registered kinds in one statement, without model instances (the SLA sweep)."""
    unknown = {entry.kind for entry in entries} - _KIND_LABELS.keys()
    if unknown:
        raise ValueError(f"unknown timeline event kind {sorted(unknown)[0]!r}")
    insert_rows(TicketEvent, _EVENT_ROW_COLUMNS, entries)


def _write(ticket: Ticket, kind: str, **fields: Any) -> TicketEvent:
    """Write one entry now (`fields` as for `new_event`)."""
    event = new_event(ticket, kind, **fields)
    event.save(force_insert=True)
    return event


def ticket_created(
    ticket: Ticket, *, actor: User, now: datetime, with_entries: Sequence[TicketEvent] = ()
) -> TicketEvent:
    """Write the creation entry, and after it `with_entries` (the routing explanation) in the same statement."""
    event = new_event(
        ticket,
        EventKind.CREATED,
        actor=actor,
        now=now,
        data={"channel": ticket.channel, "priority": ticket.priority, "on_behalf": actor.pk != ticket.requester_id},
    )
    if with_entries:
        record_many([event, *with_entries])  # the entries get their ids (RETURNING), in this order
    else:
        event.save(force_insert=True)
    return event


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
    cosigner: int | None = None,
) -> TicketEvent:
    data: dict[str, Any] = {
        "team": {"from": from_team, "to": ticket.team_id},
        "assignee": {"from": from_assignee, "to": ticket.assignee_id},
    }
    if cosigner is not None:
        data["cosigner"] = cosigner
    return _write(
        ticket,
        EventKind.ASSIGNED,
        actor=actor,
        now=now,
        body=note,
        # Who assigns to whom is internal routing detail.
        is_internal=True,
        data=data,
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
