"""Read helpers of the inbox: a user only ever sees their own notifications."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from sopdesk.accounts.models import User
from sopdesk.notifications.models import Notification


def inbox_for(user: User, *, is_unread_only: bool = False) -> QuerySet[Notification]:
    """Return `user`'s notifications, newest first, with their tickets."""
    notifications = Notification.objects.filter(recipient=user)
    if is_unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.select_related("ticket").order_by("-created_at", "-id")


def get_notification_for_user(user: User, notification_id: int) -> Notification:
    """Return `user`'s notification `notification_id`, else raise Http404 (also for other people's)."""
    notification: Notification | None = (
        Notification.objects.filter(recipient=user, pk=notification_id).select_related("ticket").first()
    )
    if notification is None:
        raise Http404("No such notification")
    return notification
