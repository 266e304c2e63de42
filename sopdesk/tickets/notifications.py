"""Who hears about a timeline event, and what they are told (in their own language).

The notifications leave through the outbox (sopdesk.notifications.outbox): an inbox entry for
each recipient and an e-mail for those with an address.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.events import kind_label
from sopdesk.tickets.models import TicketEvent


def recipients_for(event: TicketEvent) -> list[User]:
    """Return the active users to notify of `event` (never the actor, never requesters for internal events)."""
    ticket = event.ticket
    candidates: list[User | None] = []
    if event.kind == EventKind.ASSIGNED:
        candidates.append(ticket.assignee)
    elif event.kind == EventKind.PUBLIC_REPLY:
        actor_is_requester = event.actor is not None and event.actor.is_requester
        candidates.append(ticket.assignee if actor_is_requester else ticket.requester)
    elif event.kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
        candidates += [ticket.requester, ticket.assignee]
    result: dict[int, User] = {}
    for user in candidates:
        if user is None or not user.is_active or user.pk == event.actor_id:
            continue
        if event.is_internal and user.is_requester:
            continue
        result[user.pk] = user
    return list(result.values())


def notifications_for_event(event: TicketEvent) -> list[OutgoingNotification]:
    """Return one notification per recipient of `event`, worded in the recipient's language."""
    notifications = []
    for user in recipients_for(event):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[%(number)s] %(title)s: %(kind)s") % {
                "number": event.ticket.number,
                "title": event.ticket.title,
                "kind": kind_label(event.kind),
            }
            body = event.body or kind_label(event.kind)
        notifications.append(
            OutgoingNotification(
                recipient=user,
                ticket=event.ticket,
                kind=NotificationKind.TICKET_EVENT,
                subject=subject,
                body=body,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
            )
        )
    return notifications
