"""Admin for SLA settings (calendars, dates, policies) and read-only views of ticket clocks and escalations.

Every save of the settings goes through the actions of `sopdesk.sla.config`, as the API's do: the same
checks, the same audit log entries; a refusal shows the page again with the action's messages at the fields.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.core.admin import ActionAdmin, NoDeleteAdmin, ReadOnlyAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.sla import config
from sopdesk.sla.choices import DateKind
from sopdesk.sla.forms import (
    CalendarDateForm,
    EscalationRuleForm,
    WorkingIntervalForm,
    is_deleted,
    is_kept,
    mark_saved,
)
from sopdesk.sla.models import (
    Calendar,
    CalendarDate,
    EscalationRule,
    OverdueReason,
    SlaEscalation,
    SlaPolicy,
    TicketSla,
    WorkingInterval,
)

InlineFormSet: TypeAlias = "BaseInlineFormSet[Any, Any, Any]"


def _formset(formsets: list[InlineFormSet], prefix: str) -> InlineFormSet:
    return next(formset for formset in formsets if formset.prefix == prefix)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class ConfigAdmin(ActionAdmin, NoDeleteAdmin):
    """SLA settings: only those the actions let change them see the add and change buttons."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and config.may_change_config(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and config.may_change_config(_actor(request))


class WorkingIntervalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingInterval
    form = WorkingIntervalForm
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


def _works_like(cleaned: dict[str, Any]) -> int | None:
    # The form always sends a weekday; a holiday has none.
    return cleaned["works_like"] if cleaned["kind"] == DateKind.WORKING_DAY else None


@admin.register(Calendar)
class CalendarAdmin(ConfigAdmin):
    list_display = ["code", "name", "time_zone", "is_24x7", "is_active", "revision"]
    list_filter = ["is_active", "is_24x7"]
    search_fields = ["code", "name"]
    inlines = [WorkingIntervalInline, CalendarDateInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code names the calendar in URLs, policies and the audit log: it never changes.
        return ["code", "revision"] if obj is not None else ["revision"]

    def save_model(self, request: HttpRequest, obj: Calendar, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        """Write nothing yet: the calendar and its hours are written together in `save_related`."""

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,  # type: ignore[type-arg]
        formsets: list[InlineFormSet],
        change: bool,
    ) -> None:
        obj: Calendar = form.instance
        hours = _formset(formsets, "intervals")
        kept = [f for f in hours.forms if is_kept(hours, f)]
        rows = [(f.cleaned_data["weekday"], f.cleaned_data["starts_at"], f.cleaned_data["ends_at"]) for f in kept]
        places = {"working_hours": (str(hours.prefix), [str(f.prefix) for f in kept])}
        actor, now = _actor(request), timezone.now()
        try:
            if change:
                calendar = Calendar.objects.select_for_update().get(pk=obj.pk)
                changed = [name for name in form.changed_data if name in config.CALENDAR_FIELDS]
                changes = {name: form.cleaned_data[name] for name in changed}
                config.update_calendar(
                    calendar, changes=changes, working_hours=rows if hours.has_changed() else None, actor=actor, now=now
                )
            else:
                fields = {name: form.cleaned_data[name] for name in ("code", *config.CALENDAR_FIELDS)}
                calendar = config.create_calendar(**fields, working_hours=rows, actor=actor, now=now)
        except ActionError as error:
            raise admin_refusal(error, lists=places) from error
        obj.pk, obj._state.adding = calendar.pk, False
        obj.refresh_from_db()
        mark_saved(hours)
        self._save_dates(calendar, _formset(formsets, "dates"), actor=actor)

    def _save_dates(self, calendar: Calendar, dates: InlineFormSet, *, actor: User) -> None:
        now = timezone.now()
        for form in dates.forms:
            try:
                if is_deleted(dates, form):
                    config.delete_calendar_date(calendar, date=form.initial["date"], actor=actor, now=now)
                    continue
                if not is_kept(dates, form) or not form.has_changed():
                    continue
                cleaned = form.cleaned_data
                if form.instance.pk is not None and cleaned["date"] != form.initial["date"]:
                    config.delete_calendar_date(calendar, date=form.initial["date"], actor=actor, now=now)
                config.put_calendar_date(
                    calendar,
                    date=cleaned["date"],
                    kind=cleaned["kind"],
                    name=cleaned["name"],
                    works_like=_works_like(cleaned),
                    actor=actor,
                    now=now,
                )
            except ActionError as error:
                raise admin_refusal(error, prefix=str(form.prefix)) from error
        mark_saved(dates)


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
class CalendarDateAdmin(ActionAdmin):
    list_display = ["date", "weekday", "calendar", "kind", "name", "works_like"]
    list_filter = ["calendar", YearListFilter, "kind"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    ordering = ["calendar", "date"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDate) -> str:
        return obj.date.strftime("%a")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and config.may_change_config(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and config.may_change_config(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and config.may_change_config(_actor(request))

    def save_model(self, request: HttpRequest, obj: CalendarDate, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        cleaned, actor, now = form.cleaned_data, _actor(request), timezone.now()
        try:
            if change and {"calendar", "date"} & set(form.changed_data):
                previous = Calendar.objects.select_for_update().get(pk=form.initial["calendar"])
                config.delete_calendar_date(previous, date=form.initial["date"], actor=actor, now=now)
            row, _created = config.put_calendar_date(
                Calendar.objects.select_for_update().get(pk=cleaned["calendar"].pk),
                date=cleaned["date"],
                kind=cleaned["kind"],
                name=cleaned["name"],
                works_like=_works_like(cleaned),
                actor=actor,
                now=now,
            )
        except ActionError as error:
            raise admin_refusal(error) from error
        obj.pk, obj._state.adding = row.pk, False

    def delete_model(self, request: HttpRequest, obj: CalendarDate) -> None:
        config.delete_calendar_date(obj.calendar, date=obj.date, actor=_actor(request), now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDate]) -> None:
        now = timezone.now()
        for row in queryset.select_related("calendar"):
            config.delete_calendar_date(row.calendar, date=row.date, actor=_actor(request), now=now)


class EscalationRuleInline(admin.StackedInline):  # type: ignore[type-arg]
    model = EscalationRule
    form = EscalationRuleForm
    extra = 0
    autocomplete_fields = ["contacts", "reassign_to_team"]


def _rule_spec(form: forms.ModelForm) -> config.RuleSpec:  # type: ignore[type-arg]
    cleaned = form.cleaned_data
    team = cleaned.get("reassign_to_team")
    return config.RuleSpec(
        id=form.instance.pk,
        metric=cleaned["metric"],
        offset_minutes=cleaned["offset_minutes"],
        notify_team_lead=cleaned["notify_team_lead"],
        contacts=[user.username for user in cleaned.get("contacts") or []],
        reassign_to_team=team.code if team is not None else None,
        raise_priority=cleaned["raise_priority"],
        is_active=cleaned["is_active"],
    )


def _policy_value(name: str, value: Any) -> Any:
    # The actions take the calendar, customer level, category and team by code, as the API sends them.
    if name in ("calendar", *config.OPTIONAL_REFERENCES):
        return value.code if value is not None else None
    return value


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigAdmin):
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

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        """Write nothing yet: the policy and its rules are written together in `save_related`."""

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,  # type: ignore[type-arg]
        formsets: list[InlineFormSet],
        change: bool,
    ) -> None:
        obj: SlaPolicy = form.instance
        rules = _formset(formsets, "escalation_rules")
        kept = [f for f in rules.forms if is_kept(rules, f)]
        specs = [_rule_spec(f) for f in kept]
        places = {"escalation_rules": (str(rules.prefix), [str(f.prefix) for f in kept])}
        actor, now = _actor(request), timezone.now()
        try:
            if change:
                policy = SlaPolicy.objects.select_for_update().get(pk=obj.pk)
                changes = {
                    name: _policy_value(name, form.cleaned_data[name])
                    for name in form.changed_data
                    if name in config.POLICY_FIELDS
                }
                config.update_policy(
                    policy,
                    changes=changes,
                    escalation_rules=specs if rules.has_changed() else None,
                    actor=actor,
                    now=now,
                )
            else:
                draft = config.PolicyDraft(
                    **{name: _policy_value(name, form.cleaned_data[name]) for name in config.POLICY_FIELDS}
                )
                policy = config.create_policy(draft=draft, escalation_rules=specs, actor=actor, now=now)
        except ActionError as error:
            raise admin_refusal(error, lists=places) from error
        obj.pk, obj._state.adding = policy.pk, False
        obj.refresh_from_db()
        mark_saved(rules)


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


@admin.register(OverdueReason)
class OverdueReasonAdmin(ReadOnlyAdmin):
    """Overdue reasons are given on the ticket (workspace or API); the newest per clock counts."""

    list_display = ["ticket", "metric", "recorded_by", "recorded_at"]
    list_filter = ["metric"]
    search_fields = ["ticket__number", "reason"]
    list_select_related = ["ticket", "recorded_by"]
