"""Admin for alert sources (through the audited actions; the token is shown once) and read-only alerts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.alerts import config
from sopdesk.alerts.models import Alert, AlertSource
from sopdesk.core.admin import ActionAdmin, NoDeleteAdmin, ReadOnlyAdmin, admin_refusal
from sopdesk.core.errors import ActionError

_CREATED_SOURCE = "_sopdesk_created_alert_source"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _token_page(request: HttpRequest, source: AlertSource, token: str) -> HttpResponse:
    """Show a new token once, on a page of its own (never in a message cookie or a redirect)."""
    return TemplateResponse(
        request,
        "alerts/admin/token.html",
        {
            "title": _("Token of alert source %(name)s") % {"name": source.name},
            "source": source,
            "token": token,
            "endpoint": request.build_absolute_uri(f"/api/v1/alerts/{source.pk}"),
            "opts": AlertSource._meta,
        },
    )


@admin.register(AlertSource)
class AlertSourceAdmin(ActionAdmin, NoDeleteAdmin):
    list_display = ["name", "kind", "is_active", "team", "auto_resolve", "updated_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    fields = [
        "name",
        "kind",
        "is_active",
        "team",
        "category",
        "severity_map",
        "default_priority",
        "auto_resolve",
        "service_user",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["service_user", "created_at", "updated_at"]
    actions = ["rotate_token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and config.may_change_sources(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and config.may_change_sources(_actor(request))

    def save_model(self, request: HttpRequest, obj: AlertSource, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        data = form.cleaned_data
        settings_ = config.SourceSettings(
            name=data["name"],
            kind=data["kind"],
            team=data.get("team"),
            category=data.get("category"),
            severity_map=data.get("severity_map") or {},
            default_priority=data["default_priority"],
            auto_resolve=data.get("auto_resolve", False),
            is_active=data.get("is_active", True),
        )
        actor, now = _actor(request), timezone.now()
        try:
            if change:
                config.change_alert_source(obj, settings=settings_, actor=actor, now=now)
            else:
                source, token = config.create_alert_source(settings=settings_, actor=actor, now=now)
                obj.pk = source.pk
                setattr(request, _CREATED_SOURCE, (source, token))
        except ActionError as error:
            raise admin_refusal(error) from error
        obj.refresh_from_db()

    def response_add(
        self, request: HttpRequest, obj: AlertSource, post_url_continue: str | None = None
    ) -> HttpResponse:
        created = getattr(request, _CREATED_SOURCE, None)
        if created is None:
            return super().response_add(request, obj, post_url_continue)
        return _token_page(request, *created)

    @admin.action(description=_("Make a new token (the old one stops working)"))
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[AlertSource]) -> HttpResponse | None:
        sources = list(queryset[:2])
        if len(sources) != 1:
            self.message_user(request, _("Choose exactly one alert source."), level="error")
            return None
        token = config.rotate_alert_source_token(sources[0], actor=_actor(request), now=timezone.now())
        return _token_page(request, sources[0], token)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["name", "source", "status", "severity", "fire_count", "ticket", "last_received_at"]
    list_filter = ["status", "source"]
    search_fields = ["name", "fingerprint", "ticket__number"]
    list_select_related = ["source", "ticket"]
