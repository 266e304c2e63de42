"""Operators see the inbox and the outbox read-only and can send failed messages again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sopdesk.core.admin import ReadOnlyAdmin
from sopdesk.notifications.actions import retry_failed_messages
from sopdesk.notifications.models import Notification, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "subject", "ticket", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "recipient__username", "dedupe_key"]
    list_select_related = ["recipient", "ticket"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "address", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel"]
    search_fields = ["address", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Retrying changes the delivery state, never the message: the model's change permission.
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description=_("Retry the selected failed messages now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = retry_failed_messages(
            queryset.values_list("pk", flat=True),
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        self.message_user(
            request,
            ngettext("%(count)d failed message queued again.", "%(count)d failed messages queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
