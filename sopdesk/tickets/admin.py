from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.admin import NoDeleteAdmin, ReadOnlyAdmin
from sopdesk.core.http import client_address
from sopdesk.sla.queries import sla_snapshot
from sopdesk.sla.wording import clock_words
from sopdesk.tickets.actions import record_ticket_view
from sopdesk.tickets.attachments import attachment_download_response
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import (
    Attachment,
    Category,
    PriorityRule,
    Tag,
    Ticket,
    TicketAccessLog,
    TicketEvent,
)
from sopdesk.tickets.queries import readable_access_log


@admin.register(Category)
class CategoryAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "parent", "default_team", "is_active", "sort_order"]
    list_filter = ["is_active", "parent"]
    search_fields = ["code", "name"]
    list_editable = ["sort_order"]


PRIORITY_RULE_FIELDS = ("impact", "urgency", "priority")


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The priority matrix; every edit (also in the list) is recorded in the configuration audit log."""

    list_display = ["impact", "urgency", "priority"]
    list_editable = ["priority"]
    list_filter = ["impact", "urgency"]

    def save_model(self, request: HttpRequest, obj: PriorityRule, form: Any, change: bool) -> None:
        stored = PriorityRule.objects.filter(pk=obj.pk).first() if change else None
        before = field_values(stored, PRIORITY_RULE_FIELDS) if stored is not None else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_config_change(
                obj,
                operation=Operation.CHANGED if stored is not None else Operation.CREATED,
                before=before,
                after=field_values(obj, PRIORITY_RULE_FIELDS),
                actor=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )

    def delete_model(self, request: HttpRequest, obj: PriorityRule) -> None:
        self.delete_queryset(request, PriorityRule.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        now = timezone.now()
        with transaction.atomic():
            for rule in queryset:
                # Recorded first: the log keeps the row's id, which the deletion clears.
                record_config_change(
                    rule,
                    operation=Operation.DELETED,
                    before=field_values(rule, PRIORITY_RULE_FIELDS),
                    after={},
                    actor=request.user,  # type: ignore[arg-type]
                    now=now,
                )
                rule.delete()


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    search_fields = ["name"]


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "is_internal", "body", "data")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _record_admin_read(request: HttpRequest, ticket: Ticket, *, attachment: Attachment | None = None) -> None:
    record_ticket_view(
        ticket,
        user=request.user,  # type: ignore[arg-type]
        via=AccessChannel.ADMIN,
        now=timezone.now(),
        ip_address=client_address(request),
        attachment=attachment,
    )


def _download_link(attachment: Attachment) -> SafeString:
    url = reverse("admin:tickets_attachment_download", args=[attachment.pk])
    return format_html('<a href="{}">{}</a>', url, _("Download"))


class TicketReadAdmin(ReadOnlyAdmin):
    """A record holding one ticket's data: opening its page is a read recorded in the access log."""

    def ticket_of(self, obj: Any) -> Ticket:
        ticket: Ticket = obj.ticket
        return ticket

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        # Log only views that happen: the parent view refuses users without view permission.
        if obj is not None and self.has_view_or_change_permission(request, obj):
            _record_admin_read(request, self.ticket_of(obj))
        return super().change_view(request, object_id, form_url, extra_context)


class AttachmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attachment
    extra = 0
    can_delete = False
    fields = ("original_name", "download", "size", "is_internal", "uploaded_by", "created_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> SafeString:
        return _download_link(attachment)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(TicketReadAdmin):
    """Tickets change only through actions (API and workspace); the admin shows them and logs the view."""

    list_display = ["number", "title", "status", "priority", "team", "assignee", "requester", "created_at"]
    list_filter = ["status", "priority", "channel", "ticket_type", "team", "category"]
    search_fields = ["number", "title"]
    list_select_related = ["team", "assignee", "requester"]
    date_hierarchy = "created_at"
    inlines = [EventInline, AttachmentInline]
    readonly_fields = ["sla_clocks"]

    def ticket_of(self, obj: Any) -> Ticket:
        ticket: Ticket = obj
        return ticket

    @admin.display(description=_("SLA clocks"))
    def sla_clocks(self, ticket: Ticket) -> SafeString:
        snapshot = sla_snapshot(ticket, now=timezone.now())
        zone = timezone.get_current_timezone()
        lines = [(clock_words(view, zone=zone),) for view in snapshot.metrics]  # type: ignore[arg-type]
        return format_html_join("", "<div>{}</div>", lines)


@admin.register(TicketEvent)
class TicketEventAdmin(TicketReadAdmin):
    list_display = ["ticket", "kind", "actor", "is_internal", "created_at"]
    list_filter = ["kind", "is_internal"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(TicketReadAdmin):
    list_display = ["original_name", "ticket", "content_type", "size", "is_internal", "created_at"]
    search_fields = ["ticket__number", "original_name"]
    list_select_related = ["ticket"]
    # The stored file is shown as a logged download, never as a link to the storage path.
    fields = ["ticket", "original_name", "download", "content_type", "size", "sha256", "is_internal", "uploaded_by"]
    readonly_fields = ["download"]

    @admin.display(description=_("file"))
    def download(self, attachment: Attachment) -> SafeString:
        return _download_link(attachment)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:attachment_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="tickets_attachment_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, attachment_id: int) -> FileResponse:
        """Send the file to an admin who may view attachments, and record the download."""
        attachment = self.get_object(request, str(attachment_id))
        if attachment is None or not self.has_view_permission(request, attachment):
            raise Http404("No such attachment")
        _record_admin_read(request, attachment.ticket, attachment=attachment)
        return attachment_download_response(attachment)


@admin.register(TicketAccessLog)
class TicketAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "user", "via", "attachment", "ip_address", "accessed_at"]
    list_filter = ["via"]
    search_fields = ["ticket__number", "user__username"]
    list_select_related = ["ticket", "user", "attachment"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketAccessLog]:
        # A lead with admin access audits the readers of their teams' tickets only, as on the ticket page.
        return readable_access_log(request.user).select_related(*self.list_select_related)  # type: ignore[arg-type]
