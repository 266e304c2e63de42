"""Helpers of the notification tests: outgoing notifications and outbox rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus, NotificationKind
from sopdesk.notifications.models import OutboxMessage
from sopdesk.notifications.outbox import OutgoingNotification

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def outgoing(user: User, key: str, *, subject: str = "Hello", send_email: bool = True) -> OutgoingNotification:
    return OutgoingNotification(
        recipient=user,
        ticket=None,
        kind=NotificationKind.SLA_WARNING,
        subject=subject,
        body=f"Body of {key}",
        dedupe_key=key,
        send_email=send_email,
    )


def make_message(
    address: str,
    *,
    key: str | None = None,
    status: DeliveryStatus = DeliveryStatus.PENDING,
    attempts: int = 0,
    next_attempt_at: datetime = NOW,
    claimed_until: datetime | None = None,
) -> OutboxMessage:
    """Write an outbox row directly (no delivery is scheduled)."""
    return OutboxMessage.objects.create(
        channel=DeliveryChannel.EMAIL,
        address=address,
        subject=f"Subject for {address}",
        body=f"Body for {address}",
        dedupe_key=key or f"email:test:{address}",
        status=status,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        claimed_until=claimed_until,
        created_at=NOW,
    )
