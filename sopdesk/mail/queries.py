"""Who may read which inbound mail, and the lookups the timeline and the quarantine page need."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from sopdesk.accounts.models import User
from sopdesk.mail.actions import may_manage_mail
from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail
from sopdesk.tickets.models import Ticket


def mails_by_event(event_ids: Iterable[int]) -> dict[int, int]:
    """Return {timeline event id: inbound mail id} for the events that came by mail (one query, none for no ids)."""
    ids = list(event_ids)
    if not ids:
        return {}
    return dict(InboundMail.objects.filter(event_id__in=ids).values_list("event_id", "pk"))


def get_mail_for_user(user: User, mail_id: int) -> InboundMail:
    """Return the mail `user` may read: administrators every one, staff those of tickets they see.

    Anything else is Http404 (never 403: no existence oracle).
    """
    mail: InboundMail | None = InboundMail.objects.select_related("mailbox", "ticket").filter(pk=mail_id).first()
    if mail is None or user.is_requester:
        raise Http404("No such inbound mail")
    if may_manage_mail(user):
        return mail
    if mail.ticket_id is None or not Ticket.objects.visible_to(user).filter(pk=mail.ticket_id).exists():
        raise Http404("No such inbound mail")
    return mail


def quarantined() -> QuerySet[InboundMail]:
    """The quarantine, oldest first (the raw is not loaded)."""
    return (
        InboundMail.objects.filter(state=MailState.QUARANTINED)
        .defer("raw")
        .select_related("mailbox")
        .order_by("received_at", "pk")
    )
