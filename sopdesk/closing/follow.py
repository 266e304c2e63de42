"""The auto-close schedule follows ticket status changes (registered in ClosingConfig.ready)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from sopdesk.accounts.models import User
from sopdesk.closing.models import PendingClosure
from sopdesk.closing.schedule import calendar_for, deadlines
from sopdesk.tickets.choices import AWAITING_CONFIRMATION
from sopdesk.tickets.models import Ticket


class AutoCloseFollower:
    """Start the wait when a ticket is resolved or a fix proposed; end it on any other status."""

    def ticket_created(self, ticket: Ticket, *, now: datetime) -> None:
        pass

    def ticket_assigned(self, ticket: Ticket, *, now: datetime) -> None:
        pass

    def public_reply_added(self, ticket: Ticket, *, now: datetime) -> None:
        pass

    def status_changed(self, ticket: Ticket, *, from_status: str, actor: User | None, now: datetime) -> None:
        if ticket.status not in AWAITING_CONFIRMATION:
            PendingClosure.objects.filter(pk=ticket.pk).delete()
            return
        # Every move into a waiting status starts the count again: a confirmed proposal
        # (pending confirmation → resolved) waits for the requester's final word afresh.
        due = deadlines(calendar_for(ticket), waiting_since=now, working_days=settings.SOPDESK_AUTOCLOSE_WORKING_DAYS)
        PendingClosure.objects.update_or_create(
            ticket=ticket,
            defaults={
                "waiting_since_at": now,
                "remind_at": due.remind_at,
                "reminded_at": None,
                "close_at": due.close_at,
            },
        )

    def classification_changed(self, ticket: Ticket, *, actor: User | None, now: datetime) -> None:
        pass
