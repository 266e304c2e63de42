"""Who hears about a timeline event, and the e-mail they get.

The SLA issue replaces this with an outbox; until then mail goes straight to Django's backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import TicketEvent

_suppressed: ContextVar[bool] = ContextVar("sopdesk_notifications_suppressed", default=False)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """Schedule no notifications inside this block (bulk imports, demo history: nobody's news)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def are_notifications_suppressed() -> bool:
    return _suppressed.get()


def recipients_for(event: TicketEvent) -> list[User]:
    """Return the users to notify of `event` (never the actor, never requesters for internal events)."""
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
        if user is None or not user.is_active or not user.email or user.pk == event.actor_id:
            continue
        if event.is_internal and user.is_requester:
            continue
        result[user.pk] = user
    return list(result.values())


def send_event_notifications(event_id: int) -> int:
    """Send the e-mails for one event; return how many were sent."""
    event = TicketEvent.objects.select_related("ticket__requester", "ticket__assignee", "actor").get(pk=event_id)
    sent = 0
    for user in recipients_for(event):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[%(number)s] %(title)s: %(kind)s") % {
                "number": event.ticket.number,
                # A header is one line: line breaks in a title would make send_mail refuse the mail.
                "title": " ".join(event.ticket.title.split()),
                "kind": event.get_kind_display(),
            }
            body = event.body or event.get_kind_display()
        sent += send_mail(subject, body, None, [user.email])
    return sent
