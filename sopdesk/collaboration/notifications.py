"""Who hears about a collaboration request: the other side of each step, and team leads when it is late."""

from __future__ import annotations

from collections.abc import Iterable

from sopdesk.accounts.models import TeamMembership, User
from sopdesk.collaboration.choices import CollaborationEventKind
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import OutgoingNotification, are_notifications_suppressed, enqueue
from sopdesk.tickets.models import TicketEvent
from sopdesk.tickets.notifications import event_notice

# Steps the asking side waits for; the rest are answers the receiving side waits for.
_FOR_ASKING_SIDE = frozenset(
    {
        CollaborationEventKind.ACCEPTED,
        CollaborationEventKind.REJECTED,
        CollaborationEventKind.PROGRESS,
        CollaborationEventKind.DELIVERED,
    }
)


def team_leads(team_ids: Iterable[int | None]) -> list[User]:
    """Return the active leads of the teams `team_ids` (the managers a late request escalates to)."""
    wanted = [pk for pk in team_ids if pk is not None]
    memberships = TeamMembership.objects.filter(team_id__in=wanted, is_lead=True, user__is_active=True)
    return [membership.user for membership in memberships.select_related("user").order_by("user_id")]


def recipients_for(event: TicketEvent, request: CollaborationRequest) -> list[User]:
    """Return the active users to tell about `event` on `request` (never its actor)."""
    candidates: list[User | None]
    if event.kind == CollaborationEventKind.ACCEPTANCE_LATE:
        candidates = list(team_leads([request.from_team_id, request.to_team_id]))
    elif event.kind in _FOR_ASKING_SIDE:
        candidates = [request.requested_by, request.ticket.assignee]
    else:
        # A new request, a withdrawal, a confirmation or a returned delivery: the receiving team's leads
        # and whoever answered for it.
        candidates = [*team_leads([request.to_team_id]), request.responded_by]
    result: dict[int, User] = {}
    for user in candidates:
        if user is not None and user.is_active and user.pk != event.actor_id:
            result[user.pk] = user
    return list(result.values())


def notify(event: TicketEvent, request: CollaborationRequest) -> None:
    """Queue the notifications of `event` in the current transaction (delivered after commit)."""
    if are_notifications_suppressed():
        return
    notifications = []
    recipients = recipients_for(event, request)
    # Members of the receiving team need not see the ticket: their notice links to no ticket.
    team_id = event.ticket.team_id
    seeing = set(
        TeamMembership.objects.filter(team_id=team_id, user__in=recipients).values_list("user_id", flat=True)
        if team_id is not None and recipients
        else []
    )
    for user in recipients:
        subject, body = event_notice(event, user)
        sees = user.sees_all_tickets or user.pk in seeing or user.pk == event.ticket.assignee_id
        notifications.append(
            OutgoingNotification(
                recipient=user,
                ticket=event.ticket if sees else None,
                kind=NotificationKind.TICKET_EVENT,
                subject=subject,
                body=body,
                dedupe_key=f"event:{event.pk}:user:{user.pk}",
            )
        )
    enqueue(notifications, now=event.created_at)
