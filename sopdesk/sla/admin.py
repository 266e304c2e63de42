"""Admin for SLA settings (calendars, policies) and read-only views of ticket clocks and escalations."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopdesk.core.admin import NoDeleteAdmin, ReadOnlyAdmin
from sopdesk.sla.config import ARITHMETIC_FIELDS, rearm_open_clocks
from sopdesk.sla.forms import CalendarDateForm, EscalationRuleForm, WorkingIntervalForm, WorkingIntervalFormSet
from sopdesk.sla.models import (
    Calendar,
    CalendarDate,
    EscalationRule,
    SlaEscalation,
    SlaPolicy,
    TicketSla,
    WorkingInterval,
)


class WorkingIntervalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingInterval
    form = WorkingIntervalForm
    formset = WorkingIntervalFormSet
    extra = 0


class CalendarDateInline(admin.TabularInline):  # type: ignore[type-arg]
    """This year's dates and later ones; earlier years are on the calendar dates page."""

    model = CalendarDate
    form = CalendarDateForm
    extra = 0
    fields = ["date", "kind", "name", "works_like"]
    ordering = ["date"]
    verbose_name_plural = _("holidays and make-up working days (this year and later)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarDate]:
        this_year = timezone.localdate().year
        return super().get_queryset(request).filter(date__year__gte=this_year).order_by("date")


@admin.register(Calendar)
class CalendarAdmin(NoDeleteAdmin):
    list_display = ["code", "name", "time_zone", "is_24x7", "is_active", "revision"]
    list_filter = ["is_active", "is_24x7"]
    search_fields = ["code", "name"]
    readonly_fields = ["revision"]
    inlines = [WorkingIntervalInline, CalendarDateInline]

    def save_model(self, request: HttpRequest, obj: Calendar, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if not change:
            obj.save()
            return
        # Only the changed columns: a full save would write back the revision as loaded, undoing bumps.
        changed = [name for name in form.changed_data if name in {f.name for f in Calendar._meta.concrete_fields}]
        obj.save(update_fields=changed)
        if ARITHMETIC_FIELDS & set(changed):
            obj.bump_revision()


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = (
            CalendarDate.objects.annotate(year=ExtractYear("date"))
            .values_list("year", flat=True)
            .distinct()
            .order_by("-year")
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDate]) -> QuerySet[CalendarDate]:
        value = self.value()
        if value and value.isdigit() and len(value) == 4:
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDate)
class CalendarDateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "weekday", "calendar", "kind", "name", "works_like"]
    list_filter = ["calendar", YearListFilter, "kind"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    ordering = ["calendar", "date"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDate) -> str:
        return obj.date.strftime("%a")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDate]) -> None:
        # The bulk "delete selected" action skips CalendarDate.delete(): bump each calendar once.
        calendars = list(Calendar.objects.filter(pk__in=queryset.values("calendar_id")))
        super().delete_queryset(request, queryset)
        for calendar in calendars:
            calendar.bump_revision()


class EscalationRuleInline(admin.StackedInline):  # type: ignore[type-arg]
    model = EscalationRule
    form = EscalationRuleForm
    extra = 0
    autocomplete_fields = ["contacts", "reassign_to_team"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(NoDeleteAdmin):
    list_display = [
        "name",
        "order",
        "priority",
        "customer_level",
        "category",
        "channel",
        "calendar",
        "assignment_minutes",
        "first_response_minutes",
        "resolution_minutes",
        "update_interval_minutes",
        "is_active",
    ]
    list_filter = ["is_active", "priority", "calendar", "channel"]
    list_select_related = ["customer_level", "category", "calendar"]
    search_fields = ["name"]
    ordering = ["order", "pk"]
    inlines = [EscalationRuleInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Deactivated calendars and teams cannot be chosen for a policy.
        if db_field.name in {"calendar", "backup_team"}:
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            rearm_open_clocks(form.instance)


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnlyAdmin):
    """Ticket clocks change only through ticket actions and the SLA scanner."""

    list_display = [
        "ticket",
        "policy",
        "next_check_at",
        "is_assignment_breached",
        "is_first_response_breached",
        "is_resolution_breached",
        "update_breach_count",
    ]
    list_filter = ["policy"]
    list_select_related = ["ticket", "policy"]
    search_fields = ["ticket__number"]
    ordering = ["-started_at"]

    @admin.display(boolean=True, description=_("assignment breached"))
    def is_assignment_breached(self, obj: TicketSla) -> bool:
        return obj.assignment_breached_at is not None

    @admin.display(boolean=True, description=_("first response breached"))
    def is_first_response_breached(self, obj: TicketSla) -> bool:
        return obj.first_response_breached_at is not None

    @admin.display(boolean=True, description=_("resolution breached"))
    def is_resolution_breached(self, obj: TicketSla) -> bool:
        return obj.resolution_breached_at is not None


@admin.register(SlaEscalation)
class SlaEscalationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "rule", "threshold_at", "fired_at"]
    list_filter = ["metric"]
    list_select_related = ["ticket", "rule"]
    search_fields = ["ticket__number"]
    date_hierarchy = "fired_at"
