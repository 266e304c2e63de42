"""Who hears about casework: the requester when they must decide, the staff who asked when they have decided."""

from __future__ import annotations

from sopdesk.accounts.models import User
from sopdesk.casework.choices import CaseworkEventKind
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, are_notifications_suppressed, enqueue
from sopdesk.tickets.models import TicketEvent
from sopdesk.tickets.notifications import event_notice, with_mail_thread

# Entries the requester must act on; the others are decisions the staff who asked wait for.
_FOR_REQUESTER = frozenset({CaseworkEventKind.REMOTE_REQUESTED, CaseworkEventKind.PLAN_PROPOSED})
_FOR_STAFF = frozenset(
    {
        CaseworkEventKind.REMOTE_GRANTED,
        CaseworkEventKind.REMOTE_REFUSED,
        CaseworkEventKind.REMOTE_REVOKED,
        CaseworkEventKind.PLAN_CONFIRMED,
        CaseworkEventKind.PLAN_REJECTED,
    }
)


def recipients_for(event: TicketEvent, *, asked_by: User | None = None) -> list[User]:
    """Return the active users to tell about `event` (never its actor); `asked_by` made the request decided on."""
    ticket = event.ticket
    candidates: list[User | None] = []
    if event.kind in _FOR_REQUESTER:
        candidates.append(ticket.requester)
    elif event.kind in _FOR_STAFF:
        candidates += [asked_by, ticket.assignee]
    result: dict[int, User] = {}
    for user in candidates:
        if user is not None and user.is_active and user.pk != event.actor_id:
            result[user.pk] = user
    return list(result.values())


def notify(event: TicketEvent, *, asked_by: User | None = None) -> None:
    """Queue the notifications of a casework `event` in the current transaction (delivered after commit)."""
    if are_notifications_suppressed():
        return
    notifications = []
    for user in recipients_for(event, asked_by=asked_by):
        subject, body = event_notice(event, user)
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
    # The requester's mail joins the ticket's mail thread like the ticket's own mails.
    enqueue(with_mail_thread(event, notifications), now=event.created_at)
