"""Admin for collaboration: requests are read-only (the actions change them); team settings save through the action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.collaboration import actions
from sopdesk.collaboration.models import CollaborationRequest, TeamCollaborationSettings
from sopdesk.core.admin import ActionAdmin, NoDeleteAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.sla.config import may_change_config
from sopdesk.tickets.admin import TicketReadAdmin


@admin.register(CollaborationRequest)
class CollaborationRequestAdmin(TicketReadAdmin):
    list_display = ["ticket", "from_team", "to_team", "state", "accept_due_at", "acceptance_late_at", "requested_at"]
    list_filter = ["state", "to_team", "way_of_working"]
    search_fields = ["ticket__number", "needed", "deliverable"]
    list_select_related = ["ticket", "from_team", "to_team"]
    date_hierarchy = "requested_at"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@admin.register(TeamCollaborationSettings)
class TeamCollaborationSettingsAdmin(ActionAdmin, NoDeleteAdmin):
    """Each team's acceptance calendar and working days; saved through the audited action (administrators)."""

    list_display = ["team", "calendar", "acceptance_working_days"]
    list_select_related = ["team", "calendar"]
    fields = ["team", "calendar", "acceptance_working_days"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["team"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and may_change_config(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and may_change_config(_actor(request))

    def save_model(
        self,
        request: HttpRequest,
        obj: TeamCollaborationSettings,
        form: forms.ModelForm,  # type: ignore[type-arg]
        change: bool,
    ) -> None:
        cleaned = form.cleaned_data
        team = obj.team if change else cleaned["team"]
        try:
            saved = actions.set_team_settings(
                team,
                actor=_actor(request),
                calendar=cleaned.get("calendar"),
                acceptance_working_days=cleaned.get("acceptance_working_days"),
                now=timezone.now(),
            )
        except ActionError as error:
            raise admin_refusal(error) from error
        obj.pk = saved.pk
