"""Admin for chat robots and webhooks: saved through the audited actions; URLs of robots and secrets are write-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.core.admin import ActionAdmin, admin_refusal
from sopdesk.core.errors import ActionError
from sopdesk.integrations import actions
from sopdesk.integrations.choices import IntegrationEvent
from sopdesk.integrations.models import ChatRobot, Webhook, event_labels


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


KEEP_HELP = _("Write-only: leave empty to keep the stored value.")


class _SecretsForm(forms.ModelForm):  # type: ignore[type-arg]
    """Secret fields are never rendered with their value; empty on a change keeps the stored one."""

    secret_fields: tuple[str, ...] = ()
    events = forms.MultipleChoiceField(
        label=_("events"), choices=IntegrationEvent.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        is_change = self.instance.pk is not None
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            field.initial = ""
            if is_change:
                field.required = False
                field.help_text = KEEP_HELP
        if is_change:
            for name in self.secret_fields:
                self.initial[name] = ""


class ChatRobotForm(_SecretsForm):
    secret_fields = ("webhook_url", "secret")

    class Meta:
        model = ChatRobot
        fields = ["name", "team", "platform", "webhook_url", "secret", "events", "is_active"]


class WebhookForm(_SecretsForm):
    secret_fields = ("secret",)

    class Meta:
        model = Webhook
        fields = ["name", "url", "team", "secret", "events", "is_active"]


class _ConfiguredThroughActions(ActionAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and actions.may_configure_integrations(_actor(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and actions.may_configure_integrations(_actor(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switched off, never deleted: the outbox names them

    @admin.display(description=_("events"))
    def event_list(self, obj: ChatRobot | Webhook) -> str:
        return event_labels(list(obj.events))


@admin.register(ChatRobot)
class ChatRobotAdmin(_ConfiguredThroughActions):
    form = ChatRobotForm
    list_display = ["name", "team", "platform", "event_list", "is_active", "updated_at"]
    list_filter = ["platform", "is_active", "team"]
    search_fields = ["name"]
    list_select_related = ["team"]

    def save_model(self, request: HttpRequest, obj: ChatRobot, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        values = {name: form.cleaned_data.get(name) for name in [*actions.ROBOT_FIELDS, *actions.ROBOT_SECRETS]}
        values["events"] = list(values["events"] or [])
        try:
            if change:
                if not values["secret"]:
                    values["secret"] = None  # kept
                stored = ChatRobot.objects.get(pk=obj.pk)
                actions.update_chat_robot(stored, actor=_actor(request), changes=values, now=timezone.now())
            else:
                values["secret"] = values["secret"] or ""
                obj.pk = actions.create_chat_robot(actor=_actor(request), values=values, now=timezone.now()).pk
        except ActionError as error:
            raise admin_refusal(error) from error


@admin.register(Webhook)
class WebhookAdmin(_ConfiguredThroughActions):
    form = WebhookForm
    list_display = ["name", "url", "team", "event_list", "is_active", "updated_at"]
    list_filter = ["is_active", "team"]
    search_fields = ["name", "url"]
    list_select_related = ["team"]

    def save_model(self, request: HttpRequest, obj: Webhook, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        values = {name: form.cleaned_data.get(name) for name in [*actions.WEBHOOK_FIELDS, *actions.WEBHOOK_SECRETS]}
        values["events"] = list(values["events"] or [])
        try:
            if change:
                stored = Webhook.objects.get(pk=obj.pk)
                actions.update_webhook(stored, actor=_actor(request), changes=values, now=timezone.now())
            else:
                obj.pk = actions.create_webhook(actor=_actor(request), values=values, now=timezone.now()).pk
        except ActionError as error:
            raise admin_refusal(error) from error
