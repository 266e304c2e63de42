"""Read helpers of the outbox for administrators: filtered lists, the names of chat and webhook targets."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.errors import PermissionRefused
from sopdesk.integrations.actions import may_configure_integrations
from sopdesk.integrations.models import ChatRobot, Webhook
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage

LIST_FIELDS = (
    "id",
    "channel",
    "address",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
)


def check_may_read_outbox(user: User) -> None:
    if not may_configure_integrations(user):
        raise PermissionRefused(_("Only administrators may see the outbox."))


def outbox_messages(*, channel: str | None = None, status: str | None = None) -> QuerySet[OutboxMessage]:
    """Return outbox messages newest first, by channel and status (values of DeliveryChannel / DeliveryStatus)."""
    messages = OutboxMessage.objects.all()
    if channel:
        messages = messages.filter(channel=DeliveryChannel(channel))
    if status:
        messages = messages.filter(status=DeliveryStatus(status))
    return messages.only(*LIST_FIELDS).order_by("-created_at", "-id")


def target_names(messages: Iterable[OutboxMessage]) -> dict[str, str]:
    """Return a readable name for each robot or webhook address among `messages` (two queries at most)."""
    robot_ids: set[int] = set()
    webhook_ids: set[int] = set()
    for message in messages:
        kind, _sep, number = message.address.partition(":")
        if number.isdigit():
            (robot_ids if kind == "robot" else webhook_ids if kind == "webhook" else set()).add(int(number))
    names: dict[str, str] = {}
    if robot_ids:
        names.update({robot.address: str(robot) for robot in ChatRobot.objects.filter(pk__in=robot_ids)})
    if webhook_ids:
        names.update({hook.address: str(hook) for hook in Webhook.objects.filter(pk__in=webhook_ids)})
    return names
