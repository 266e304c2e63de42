"""Admin for the workforce: every save and deletion goes through the actions (audited, permission-checked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.core.admin import ActionAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.workforce import actions
from sopdesk.workforce.models import Absence, AgentProfile, Certification, Skill, TeamAssignment


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class _SavedThroughActions(ActionAdmin):
    """Saves call the admin's `_save` (the action for its form); an action's refusal shows on the form.

    Rows are never deleted here: a change is made by saving (set the strategy to manual, the capacity
    to what it should be), so it stays in the audit log. `_DeletedThroughActions` adds deletion.
    """

    # The action that saves the admin's form: (form data, obj=, change=, actor=) → the saved row.
    _save: Callable[..., Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_"):
            return
        needed = ("_save", "_delete") if issubclass(cls, _DeletedThroughActions) else ("_save",)
        for name in needed:
            if not callable(getattr(cls, name, None)):
                raise TypeError(f"{cls.__name__} must go through an action: define {name}")

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        try:
            saved = self._save(form.cleaned_data, obj=obj, change=change, actor=_actor(request))
        except ActionError as error:
            raise admin_refusal(error) from error
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _DeletedThroughActions(_SavedThroughActions):
    """Also deletes, one row at a time, through the admin's `_delete` action (bulk deletion included)."""

    # The action that removes a row: (obj, actor=) → None.
    _delete: Callable[..., None]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return ActionAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._delete(obj, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._delete(obj, actor=_actor(request))


@admin.register(TeamAssignment)
class TeamAssignmentAdmin(_SavedThroughActions):
    list_display = ["team", "strategy", "backup_team", "requires_certification"]
    list_filter = ["strategy", "requires_certification"]
    fields = ["team", "strategy", "backup_team", "requires_certification"]
    list_select_related = ["team", "backup_team"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["team"] if obj is not None else []

    def _save(self, data: dict[str, Any], *, obj: Any, change: bool, actor: User) -> Any:
        return actions.set_team_assignment(
            actor=actor,
            team=obj.team if change else data["team"],
            strategy=data["strategy"],
            backup_team=data.get("backup_team"),
            requires_certification=data["requires_certification"],
            now=timezone.now(),
        )


@admin.register(AgentProfile)
class AgentProfileAdmin(_SavedThroughActions):
    list_display = ["user", "capacity", "presence", "calendar", "presence_changed_at"]
    list_filter = ["presence"]
    search_fields = ["user__username", "user__display_name"]
    fields = ["user", "capacity", "calendar", "presence"]
    list_select_related = ["user", "calendar"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user"] if obj is not None else []

    def _save(self, data: dict[str, Any], *, obj: Any, change: bool, actor: User) -> Any:
        agent = obj.user if change else data["user"]
        now = timezone.now()
        actions.update_profile(
            actor=actor, agent=agent, capacity=data["capacity"], calendar=data.get("calendar"), now=now
        )
        return actions.set_presence(actor=actor, agent=agent, presence=data["presence"], now=now)


@admin.register(Skill)
class SkillAdmin(_DeletedThroughActions):
    list_display = ["agent", "category", "level"]
    list_filter = ["level", "category"]
    search_fields = ["agent__username"]
    fields = ["agent", "category", "level"]
    list_select_related = ["agent", "category"]
    raw_id_fields = ["agent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["agent", "category"] if obj is not None else []

    def _save(self, data: dict[str, Any], *, obj: Any, change: bool, actor: User) -> Any:
        return actions.set_skill(
            actor=actor,
            agent=obj.agent if change else data["agent"],
            category=obj.category if change else data["category"],
            level=data["level"],
            now=timezone.now(),
        )

    def _delete(self, obj: Any, *, actor: User) -> None:
        actions.set_skill(actor=actor, agent=obj.agent, category=obj.category, level=None, now=timezone.now())


@admin.register(Absence)
class AbsenceAdmin(_DeletedThroughActions):
    """Absences are added and removed, not edited (remove and add again)."""

    list_display = ["agent", "starts_at", "ends_at", "reason"]
    search_fields = ["agent__username", "reason"]
    fields = ["agent", "starts_at", "ends_at", "reason"]
    list_select_related = ["agent"]
    raw_id_fields = ["agent"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def _save(self, data: dict[str, Any], *, obj: Any, change: bool, actor: User) -> Any:
        return actions.add_absence(
            actor=actor,
            agent=data["agent"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason", ""),
            now=timezone.now(),
        )

    def _delete(self, obj: Any, *, actor: User) -> None:
        actions.cancel_absence(actor=actor, absence=obj, now=timezone.now())


@admin.register(Certification)
class CertificationAdmin(_DeletedThroughActions):
    """Certifications are recorded and withdrawn, not edited."""

    list_display = ["agent", "team", "category", "passed_on", "expires_on", "assessment"]
    list_filter = ["team", "category"]
    search_fields = ["agent__username", "assessment"]
    fields = ["agent", "team", "category", "assessment", "passed_on", "expires_on"]
    list_select_related = ["agent", "team", "category"]
    raw_id_fields = ["agent"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def _save(self, data: dict[str, Any], *, obj: Any, change: bool, actor: User) -> Any:
        return actions.certify(
            actor=actor,
            agent=data["agent"],
            team=data.get("team"),
            category=data.get("category"),
            passed_on=data["passed_on"],
            expires_on=data["expires_on"],
            assessment=data.get("assessment", ""),
            now=timezone.now(),
        )

    def _delete(self, obj: Any, *, actor: User) -> None:
        actions.revoke_certification(actor=actor, certification=obj, now=timezone.now())
