"""Operators see the inbox and the outbox read-only and can send failed messages again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.admin import NoDeleteAdmin, ReadOnlyAdmin
from sopdesk.core.contacts import contact_ways
from sopdesk.notifications.actions import retry_failed_messages
from sopdesk.notifications.mailtemplates import format_mail_time, request_url
from sopdesk.notifications.models import MailTemplate, Notification, OutboxMessage
from sopdesk.notifications.templating import VARIABLES, render_text, template_errors


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


def sample_values() -> dict[str, str]:
    """Return made-up values for every template variable, for the admin's preview."""
    number = "TS-2026-000123"
    return {
        "ticket_number": number,
        "ticket_title": str(_("The printer on floor 3 prints blank pages")),
        "recipient_name": str(_("Alice Example")),
        "request_url": request_url(number),
        "message": str(_("Could you send a photo of the printer's display?")),
        "solution": str(_("The toner cartridge was replaced.")),
        "close_date": format_mail_time(datetime(2026, 10, 15, 7, 0, tzinfo=UTC)),
        "working_days": "3",
        "first_response_due": format_mail_time(datetime(2026, 10, 13, 2, 30, tzinfo=UTC)),
        "resolution_due": format_mail_time(datetime(2026, 10, 13, 9, 0, tzinfo=UTC)),
        "service_hours": "\n".join(
            [
                f"{_('Monday')} – {_('Friday')}: 09:00–12:00, 13:30–18:00",
                _("Times in %(zone)s; public holidays excepted.") % {"zone": "Asia/Shanghai"},
            ]
        ),
        "contact_ways": "\n".join(f"{way.label}: {way.value}" for way in contact_ways())
        or f"{_('E-mail')}: help@example.com",
    }


@admin.register(MailTemplate)
class MailTemplateAdmin(NoDeleteAdmin):
    """Admins edit the requester mails' texts; the page lists the variables and previews the saved text."""

    list_display = ["event", "language", "subject", "updated_at"]
    list_filter = ["event", "language"]
    search_fields = ["subject", "body"]
    readonly_fields = ["variables", "preview"]
    fields = ["event", "language", "subject", "body", "variables", "preview"]
    audited_fields = ("event", "language", "subject", "body")

    def save_model(self, request: HttpRequest, obj: MailTemplate, form: Any, change: bool) -> None:
        """Save and record the edit in the configuration audit log, in one transaction."""
        stored = MailTemplate.objects.filter(pk=obj.pk).first() if change else None
        before = field_values(stored, self.audited_fields) if stored is not None else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_config_change(
                obj,
                operation=Operation.CHANGED if stored is not None else Operation.CREATED,
                before=before,
                after=field_values(obj, self.audited_fields),
                actor=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )

    @admin.display(description=_("variables"))
    def variables(self, obj: MailTemplate | None) -> SafeString:
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><code>{{{{ {} }}}}</code>: {}</li>", ((n, str(d)) for n, d in VARIABLES.items())),
        )

    @admin.display(description=_("preview (saved text, sample values)"))
    def preview(self, obj: MailTemplate | None) -> SafeString | str:
        if obj is None or obj.pk is None:
            return "—"
        if template_errors(obj.subject) or template_errors(obj.body):
            return str(_("The saved text has errors; save a corrected one to preview it."))
        values = sample_values()
        return format_html(
            "<p><strong>{}</strong></p><pre>{}</pre>", render_text(obj.subject, values), render_text(obj.body, values)
        )
