"""Admin for casework: records are read-only (actions change them); canned responses save through the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.casework import actions
from sopdesk.casework.models import (
    CannedResponse,
    DiagnosisStep,
    RemoteAssistanceAuthorization,
    SolutionPlan,
    VerificationResult,
)
from sopdesk.core.admin import ActionAdmin, NoDeleteAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.tickets.admin import TicketReadAdmin


@admin.register(DiagnosisStep)
class DiagnosisStepAdmin(TicketReadAdmin):
    list_display = ["checked", "ticket", "is_public", "created_by", "created_at"]
    list_filter = ["is_public"]
    search_fields = ["ticket__number", "checked"]
    list_select_related = ["ticket", "created_by"]


@admin.register(RemoteAssistanceAuthorization)
class RemoteAssistanceAuthorizationAdmin(TicketReadAdmin):
    list_display = ["ticket", "method", "state", "ends_at", "requested_by", "decided_by", "requested_at"]
    list_filter = ["state"]
    search_fields = ["ticket__number", "method"]
    list_select_related = ["ticket", "requested_by", "decided_by"]


@admin.register(SolutionPlan)
class SolutionPlanAdmin(TicketReadAdmin):
    list_display = ["ticket", "version", "state", "scheduled_at", "proposed_by", "decided_by", "proposed_at"]
    list_filter = ["state"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "proposed_by", "decided_by"]


@admin.register(VerificationResult)
class VerificationResultAdmin(TicketReadAdmin):
    list_display = ["ticket", "outcome", "is_public", "created_by", "created_at"]
    list_filter = ["outcome", "is_public"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket", "created_by"]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class CannedResponseForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CannedResponse
        fields = ["title", "body", "language", "team", "is_active"]
        help_texts = {"team": _("Empty: a personal canned response of yours.")}


@admin.register(CannedResponse)
class CannedResponseAdmin(ActionAdmin, NoDeleteAdmin):
    """Standard phrases; every save goes through the actions (owner, team leads, administrators)."""

    form = CannedResponseForm
    list_display = ["title", "language", "team", "owner", "is_active", "updated_at"]
    list_filter = ["language", "is_active", "team"]
    search_fields = ["title", "body"]
    list_select_related = ["team", "owner"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Who a response belongs to is set when it is made.
        return ["team", "owner"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["title", "body", "language", "team", "is_active"]
        return [*fields, "owner"] if obj is not None else fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or actions.may_manage_canned_response(_actor(request), obj))

    def save_model(self, request: HttpRequest, obj: CannedResponse, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        cleaned, actor, now = form.cleaned_data, _actor(request), timezone.now()
        try:
            if not change:
                created = actions.create_canned_response(
                    actor=actor,
                    title=cleaned["title"],
                    body=cleaned["body"],
                    language=cleaned["language"],
                    team=cleaned.get("team"),
                    now=now,
                )
                if not cleaned["is_active"]:
                    actions.set_canned_response_active(created, actor=actor, is_active=False, now=now)
                obj.pk = created.pk
                return
            stored = CannedResponse.objects.get(pk=obj.pk)
            actions.update_canned_response(
                stored, actor=actor, title=cleaned["title"], body=cleaned["body"], language=cleaned["language"], now=now
            )
            actions.set_canned_response_active(stored, actor=actor, is_active=cleaned["is_active"], now=now)
        except ActionError as error:
            raise admin_refusal(error) from error
