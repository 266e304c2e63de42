"""Late acceptance: flag the requests their receiving team left unanswered past the acceptance window.

One scan takes the due rows (partial index `collab_acceptance_due`) in due order, in bounded
batches; it claims them by setting `acceptance_late_at` on exactly the rows still unanswered and
unflagged (compare-and-set), writes their timeline entries in one statement and notifies the
leads of both teams in one more. Re-running changes nothing twice: a flagged row is never due
again, and the notification keys would drop a repeated notice anyway.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from sopdesk.accounts.models import TeamMembership, User
from sopdesk.collaboration.choices import CollaborationEventKind, CollaborationState
from sopdesk.collaboration.events import late_row
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.outbox import NotificationRow, are_notifications_suppressed, enqueue_rows
from sopdesk.tickets.events import kind_label, record_rows
from sopdesk.tickets.notifications import recipient_language, recipient_zone

BATCH_SIZE = 200


def _due(now: datetime) -> QuerySet[CollaborationRequest]:
    return CollaborationRequest.objects.filter(
        state=CollaborationState.REQUESTED, acceptance_late_at__isnull=True, accept_due_at__lte=now
    )


def _leads_by_team(team_ids: set[int]) -> dict[int, list[User]]:
    leads: dict[int, list[User]] = {}
    rows = TeamMembership.objects.filter(team_id__in=team_ids, is_lead=True, user__is_active=True).select_related(
        "user"
    )
    for membership in rows:
        leads.setdefault(membership.team_id, []).append(membership.user)
    return leads


def _notice(request: CollaborationRequest, user: User) -> tuple[str, str]:
    with translation.override(recipient_language(user)), timezone.override(recipient_zone(user)):
        subject = _("[%(number)s] %(title)s: %(kind)s") % {
            "number": request.ticket.number,
            "title": request.ticket.title,
            "kind": kind_label(CollaborationEventKind.ACCEPTANCE_LATE),
        }
        body = _(
            "%(team)s has not accepted the collaboration request on %(number)s, due %(due)s.\n\n"
            "What is needed: %(needed)s"
        ) % {
            "team": request.to_team.name,
            "number": request.ticket.number,
            "due": formats.date_format(timezone.localtime(request.accept_due_at), "Y-m-d H:i"),
            "needed": request.needed,
        }
    return subject, body


def flag_late_batch(*, now: datetime, batch: int = BATCH_SIZE) -> int:
    """Flag at most `batch` requests whose acceptance is overdue at `now`; return how many were flagged."""
    with transaction.atomic():
        rows = list(
            _due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket", "to_team")
            .order_by("accept_due_at", "pk")[:batch]
        )
        if not rows:
            return 0
        # Compare-and-set: only rows still unanswered and unflagged are ours.
        claimed_ids = set(_due(now).filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
        _due(now).filter(pk__in=claimed_ids).update(acceptance_late_at=now)
        claimed = [row for row in rows if row.pk in claimed_ids]
        for row in claimed:
            row.acceptance_late_at = now
        record_rows([late_row(row, now=now) for row in claimed])
        if not are_notifications_suppressed():
            leads = _leads_by_team(
                {row.to_team_id for row in claimed} | {row.from_team_id for row in claimed if row.from_team_id}
            )
            notifications = []
            for row in claimed:
                # A lead of the receiving team may not see the ticket: their notice links to no ticket.
                recipients: dict[int, tuple[User, bool]] = {}
                for team_id in (row.from_team_id, row.to_team_id):
                    for user in leads.get(team_id or 0, []):
                        sees = (
                            user.sees_all_tickets or team_id == row.ticket.team_id or user.pk == row.ticket.assignee_id
                        )
                        recipients[user.pk] = (user, sees or recipients.get(user.pk, (user, False))[1])
                for user, sees in recipients.values():
                    subject, body = _notice(row, user)
                    notifications.append(
                        NotificationRow(
                            recipient_id=user.pk,
                            email=user.email,
                            ticket_id=row.ticket_id if sees else None,
                            kind=NotificationKind.TICKET_EVENT,
                            subject=subject,
                            body=body,
                            dedupe_key=f"collaboration-late:{row.pk}:user:{user.pk}",
                            muted_kinds=user.email_muted_kinds,
                        )
                    )
            enqueue_rows(notifications, now=now)
    return len(claimed)


def flag_late_acceptances(*, now: datetime, batch: int = BATCH_SIZE) -> int:
    """Flag every request whose acceptance is overdue at `now`, batch by batch; return how many."""
    total = 0
    while True:
        flagged = flag_late_batch(now=now, batch=batch)
        total += flagged
        if flagged < batch:
            return total
