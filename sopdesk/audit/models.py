"""The configuration audit log: who changed which setting when, with the values before and after."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.audit.choices import Operation
from sopdesk.core.models import AppendOnlyModel


class ConfigChange(AppendOnlyModel):
    """One change of one configuration object; `before` and `after` hold only the fields that changed."""

    changed_at = models.DateTimeField(_("changed at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: a command run on the server, such as the holiday import."),
    )
    # The model's label ("sla.calendar"): the log outlives renamed or removed configuration models.
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    operation = models.CharField(_("operation"), max_length=10, choices=Operation.choices)
    before: models.JSONField[Any, Any] = models.JSONField(
        _("before"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    after: models.JSONField[Any, Any] = models.JSONField(
        _("after"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        indexes = [
            models.Index(fields=["-changed_at", "-id"], name="config_change_time"),
            models.Index(fields=["object_type", "object_id", "-changed_at"], name="config_change_object"),
            models.Index(fields=["actor", "-changed_at"], name="config_change_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_repr} {self.operation} @ {self.changed_at:%Y-%m-%d %H:%M}"

    @property
    def object_type_label(self) -> str:
        """Return the configuration model's name as the interface shows it, or the stored label if it is gone."""
        try:
            model = apps.get_model(self.object_type)
        except (LookupError, ValueError):
            return self.object_type
        return str(model._meta.verbose_name)
