"""Admin for routing: rules and specialist teams save and delete through the actions; major incidents are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.core.admin import ActionAdmin, ReadOnlyAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.routing import actions
from sopdesk.routing.models import CategorySpecialist, MajorIncident, RoutingRule


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class _ChangedThroughActions(ActionAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and actions.may_change_routing(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and actions.may_change_routing(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and actions.may_change_routing(_actor(request))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would bypass the audit log.
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found


@admin.register(RoutingRule)
class RoutingRuleAdmin(_ChangedThroughActions):
    """Ordered rules; the first active match by position routes a new ticket (docs/routing.md)."""

    list_display = ["position", "name", "team", "category", "priority", "min_difficulty", "is_active"]
    list_display_links = ["position", "name"]
    list_filter = ["is_active", "team"]
    search_fields = ["name", "keywords"]
    list_select_related = ["team", "category"]
    fields = list(actions.RULE_FIELDS)

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        values = {name: form.cleaned_data.get(name) for name in actions.RULE_FIELDS}
        for name in ("ticket_type", "channel", "priority", "keywords"):
            values[name] = values[name] or ""
        try:
            if change:
                stored = RoutingRule.objects.get(pk=obj.pk)
                actions.update_rule(stored, actor=_actor(request), changes=values, now=timezone.now())
            else:
                obj.pk = actions.create_rule(actor=_actor(request), values=values, now=timezone.now()).pk
        except ActionError as error:
            raise admin_refusal(error) from error

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        actions.delete_rule(obj, actor=_actor(request), now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in queryset:
            actions.delete_rule(rule, actor=_actor(request), now=timezone.now())


@admin.register(CategorySpecialist)
class CategorySpecialistAdmin(_ChangedThroughActions):
    list_display = ["category", "team"]
    list_select_related = ["category", "team"]
    fields = ["category", "team"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["category"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CategorySpecialist, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        category = obj.category if change else form.cleaned_data["category"]
        try:
            saved = actions.set_specialist_team(
                category, team=form.cleaned_data["team"], actor=_actor(request), now=timezone.now()
            )
        except ActionError as error:
            raise admin_refusal(error) from error
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CategorySpecialist) -> None:
        actions.set_specialist_team(obj.category, team=None, actor=_actor(request), now=timezone.now())


@admin.register(MajorIncident)
class MajorIncidentAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "flagged_at"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number"]
