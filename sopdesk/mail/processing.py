"""Processing a stored message: parse, recognise loops, thread, then a ticket or a reply (docs/mail.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail

# A "received" row older than this is taken by the catch-up job (its own job was lost or failed).
LEFT_OVER_AFTER = timedelta(minutes=2)
LEFT_OVER_BATCH = 50


def process_mail(mail_id: int, *, now: datetime) -> InboundMail:
    """Process the stored message `mail_id` if it is still "received"; return it."""
    mail: InboundMail = InboundMail.objects.defer("raw").get(pk=mail_id)
    return mail


def process_left_over(*, now: datetime) -> int:
    """Process up to LEFT_OVER_BATCH messages left "received"; return how many were taken."""
    ids = list(
        InboundMail.objects.filter(state=MailState.RECEIVED, received_at__lte=now - LEFT_OVER_AFTER)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:LEFT_OVER_BATCH]
    )
    for mail_id in ids:
        process_mail(mail_id, now=now)
    return len(ids)
