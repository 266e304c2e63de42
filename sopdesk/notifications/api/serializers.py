"""Shape notifications for API output."""

from __future__ import annotations

from typing import Any

from sopdesk.notifications.models import Notification

# What notification_out() reads: the list loads only these (a ticket's description can be long).
FIELDS = ("kind", "subject", "body", "created_at", "read_at", "ticket__number")


def notification_out(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "kind_label": notification.kind_label,
        "subject": notification.subject,
        "body": notification.body,
        "ticket_number": notification.ticket.number if notification.ticket else None,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "is_read": notification.is_read,
    }
