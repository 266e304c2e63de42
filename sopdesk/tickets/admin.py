from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.admin import NoDeleteAdmin, ReadOnlyAdmin
from sopdesk.sla.queries import sla_snapshot
from sopdesk.sla.wording import clock_words
from sopdesk.tickets.actions import record_ticket_view
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


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets change only through actions (API and workspace); the admin shows them and logs the view."""

    list_display = ["number", "title", "status", "priority", "team", "assignee", "requester", "created_at"]
    list_filter = ["status", "priority", "channel", "ticket_type", "team", "category"]
    search_fields = ["number", "title"]
    list_select_related = ["team", "assignee", "requester"]
    date_hierarchy = "created_at"
    inlines = [EventInline]
    readonly_fields = ["sla_clocks"]

    @admin.display(description=_("SLA clocks"))
    def sla_clocks(self, ticket: Ticket) -> SafeString:
        snapshot = sla_snapshot(ticket, now=timezone.now())
        zone = timezone.get_current_timezone()
        lines = [(clock_words(view, zone=zone),) for view in snapshot.metrics]  # type: ignore[arg-type]
        return format_html_join("", "<div>{}</div>", lines)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        ticket = self.get_object(request, object_id)
        # Log only views that happen: the parent view refuses users without view permission.
        if ticket is not None and self.has_view_or_change_permission(request, ticket):
            record_ticket_view(
                ticket,
                user=request.user,  # type: ignore[arg-type]
                via=AccessChannel.ADMIN,
                now=timezone.now(),
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "actor", "is_internal", "created_at"]
    list_filter = ["kind", "is_internal"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "ticket", "content_type", "size", "is_internal", "created_at"]
    search_fields = ["ticket__number", "original_name"]
    list_select_related = ["ticket"]


@admin.register(TicketAccessLog)
class TicketAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "user", "via", "ip_address", "accessed_at"]
    list_filter = ["via"]
    search_fields = ["ticket__number", "user__username"]
    list_select_related = ["ticket", "user"]
