"""State changes of the inbox and the outbox by people: reading notifications, retrying deliveries."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.audit.actions import record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import PermissionRefused
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.models import Notification, OutboxMessage
from sopdesk.notifications.tasks import schedule_delivery

logger = logging.getLogger(__name__)


def mark_read(notification: Notification, *, actor: User, now: datetime) -> Notification:
    """Mark `notification` read by its recipient; reading it again keeps the first time."""
    if notification.recipient_id != actor.pk:
        raise PermissionRefused(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, actor: User, now: datetime) -> int:
    """Mark every unread notification of `actor` read; return how many were unread."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now)


def retry_failed_messages(message_ids: Iterable[int], *, actor: User, now: datetime) -> int:
    """Give failed outbox messages a fresh set of attempts, the first right after commit; return how many.

    Each retry is recorded in the configuration audit log (who gave which dead letter another go).
    """
    with transaction.atomic():
        failed = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=list(message_ids), status=DeliveryStatus.FAILED)
            .order_by("pk")
        )
        count = OutboxMessage.objects.filter(pk__in=[message.pk for message in failed]).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_until=None
        )
        for message in failed:
            record_config_change(
                message,
                operation=Operation.CHANGED,
                before={"status": DeliveryStatus.FAILED.value, "attempts": message.attempts},
                after={"status": DeliveryStatus.PENDING.value, "attempts": 0},
                actor=actor,
                now=now,
            )
    if count:
        logger.info("%s queued %d failed outbox messages again", actor, count)
        transaction.on_commit(schedule_delivery, robust=True)
    return count
