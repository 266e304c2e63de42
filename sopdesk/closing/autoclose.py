"""Auto-close: remind, then close, resolved tickets whose requester did not answer.

A ticket waiting for its requester's confirmation (resolved, or a fix proposed) has a
`PendingClosure` row (follow.py) with its two due instants, counted in working days of its
calendar. One `sweep` takes the rows that fell due in due order, in bounded batches:

1. rows whose requester answered (a public reply after the wait began) are deleted: the answer
   cancels the auto-close (a reopen or confirmation deletes the row through the follower);
2. reminders due and not yet sent are claimed by setting `reminded_at` on exactly the rows still
   unsent (compare-and-set), then recorded on the timeline and mailed in one go;
3. tickets due to close go through the ticket action's system path, one transaction each,
   with the auto-close mail in the same transaction.

Re-running changes nothing twice: a sent reminder keeps its `reminded_at`, a closed ticket has no
row any more, and the outbox keys would drop a repeated mail anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from sopdesk.accounts.choices import Role
from sopdesk.closing.choices import ClosingEventKind
from sopdesk.closing.models import PendingClosure
from sopdesk.closing.schedule import calendar_for, deadlines
from sopdesk.notifications.choices import MailEvent, NotificationKind
from sopdesk.notifications.mailtemplates import mail_templates, render_mail
from sopdesk.notifications.outbox import NotificationRow, OutgoingNotification, enqueue, enqueue_rows
from sopdesk.tickets.actions import close_unanswered
from sopdesk.tickets.choices import AWAITING_CONFIRMATION, EventKind
from sopdesk.tickets.events import EventRow, record_rows
from sopdesk.tickets.models import Ticket, TicketEvent
from sopdesk.tickets.notifications import mail_values, recipient_language, with_mail_thread

logger = logging.getLogger(__name__)
BATCH_SIZE = 200


@dataclass(frozen=True)
class SweepReport:
    cancelled: int = 0
    reminded: int = 0
    closed: int = 0


def _answered() -> Exists:
    """True for a row whose ticket got a public reply from a requester after the wait began."""
    return Exists(
        TicketEvent.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            kind=EventKind.PUBLIC_REPLY,
            created_at__gt=OuterRef("waiting_since_at"),
        ).filter(Q(actor_id=OuterRef("ticket__requester_id")) | Q(actor__role=Role.REQUESTER))
    )


def cancel_answered(*, now: datetime) -> int:
    """Delete the due rows whose requester answered; return how many."""
    due = Q(remind_at__lte=now, reminded_at__isnull=True) | Q(close_at__lte=now)
    deleted, _ = PendingClosure.objects.filter(due).filter(_answered()).delete()
    return deleted


def send_reminders(*, now: datetime, batch: int = BATCH_SIZE) -> int:
    """Record and mail the reminders due at `now` (at most `batch`); return how many were sent."""
    with transaction.atomic():
        due = PendingClosure.objects.filter(reminded_at__isnull=True, remind_at__lte=now, close_at__gt=now)
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__requester")
            .order_by("remind_at")[:batch]
        )
        if not rows:
            return 0
        # Compare-and-set: only the rows still unsent are ours, whatever ran since they were read.
        claimed_ids = {row.pk for row in rows}
        PendingClosure.objects.filter(pk__in=claimed_ids, reminded_at__isnull=True).update(reminded_at=now)
        record_rows(
            [
                EventRow(
                    ticket_id=row.pk,
                    kind=ClosingEventKind.AUTOCLOSE_REMINDER,
                    created_at=now,
                    data={"close_at": row.close_at.isoformat()},
                )
                for row in rows
            ]
        )
        notifications = []
        templates = mail_templates()
        for row in rows:
            ticket, requester = row.ticket, row.ticket.requester
            if not requester.is_active:
                continue
            mail = templates.render(
                MailEvent.AUTOCLOSE_REMINDER,
                language=recipient_language(requester),
                values=mail_values(ticket, requester, close_date=row.close_at),  # in their zone and language
            )
            if mail is None:
                continue
            notifications.append(
                NotificationRow(
                    recipient_id=requester.pk,
                    email=requester.email,
                    ticket_id=ticket.pk,
                    kind=NotificationKind.TICKET_EVENT,
                    subject=mail.subject,
                    body=mail.body,
                    dedupe_key=f"autoclose-reminder:{ticket.pk}:{row.waiting_since_at.timestamp():.0f}",
                    muted_kinds=requester.email_muted_kinds,
                )
            )
        enqueue_rows(notifications, now=now)
    return len(rows)


def close_one(ticket: Ticket, *, now: datetime) -> TicketEvent | None:
    """Close `ticket` automatically and mail its requester, in one transaction; None when it no longer waits."""
    with transaction.atomic():
        event = close_unanswered(ticket, kind=ClosingEventKind.AUTO_CLOSED, now=now, reason="")
        if event is None:
            PendingClosure.objects.filter(pk=ticket.pk).delete()
            return None
        requester = ticket.requester
        mail = render_mail(
            MailEvent.AUTO_CLOSED,
            language=recipient_language(requester),
            values=mail_values(ticket, requester),
        )
        if mail is not None:
            notice = OutgoingNotification(
                recipient=requester,
                ticket=ticket,
                kind=NotificationKind.TICKET_EVENT,
                subject=mail.subject,
                body=mail.body,
                dedupe_key=f"event:{event.pk}:user:{requester.pk}",
            )
            # In the ticket's mail thread, like the ticket's own mails.
            enqueue(with_mail_thread(event, [notice]), now=now)
    return event


def close_due(*, now: datetime, batch: int = BATCH_SIZE) -> int:
    """Close the tickets due at `now` (at most `batch`); return how many closed."""
    ids = list(
        PendingClosure.objects.filter(close_at__lte=now).order_by("close_at").values_list("pk", flat=True)[:batch]
    )
    closed = 0
    for ticket in Ticket.objects.filter(pk__in=ids).select_related("requester"):
        if close_one(ticket, now=now) is not None:
            closed += 1
    return closed


def sweep(*, now: datetime, batch: int = BATCH_SIZE) -> SweepReport:
    """Cancel, remind and close what fell due at `now` (one batch of each)."""
    return SweepReport(
        cancelled=cancel_answered(now=now),
        reminded=send_reminders(now=now, batch=batch),
        closed=close_due(now=now, batch=batch),
    )


def schedule_waiting_tickets(*, now: datetime) -> int:
    """Give every waiting ticket without a schedule one that starts counting at `now`; return how many.

    For tickets resolved before auto-close existed (run once after upgrading): counting from
    `now`, not from their resolution, so an upgrade never closes a backlog at once without a reminder.
    """
    waiting = Ticket.objects.filter(status__in=[status.value for status in AWAITING_CONFIRMATION])
    missing = list(waiting.exclude(Exists(PendingClosure.objects.filter(ticket_id=OuterRef("pk")))))
    working_days = settings.SOPDESK_AUTOCLOSE_WORKING_DAYS
    rows = []
    for ticket in missing:
        due = deadlines(calendar_for(ticket), waiting_since=now, working_days=working_days)
        rows.append(PendingClosure(ticket=ticket, waiting_since_at=now, remind_at=due.remind_at, close_at=due.close_at))
    PendingClosure.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
