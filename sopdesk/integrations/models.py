"""Where ticket news goes besides e-mail: teams' chat group robots and generic outbound webhooks.

The target URL of a robot (its key or access token is in it) and every signing secret are
write-only: stored to send, never shown back in the admin, the API or the audit log.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.core.models import NoDeleteModel
from sopdesk.integrations.choices import ChatPlatform, IntegrationEvent

URL_MAX_LENGTH = 1000
SECRET_MAX_LENGTH = 200


def event_labels(events: list[str]) -> str:
    labels = dict(IntegrationEvent.choices)
    return ", ".join(str(labels.get(event, event)) for event in events)


class ChatRobot(NoDeleteModel):
    """A team's group robot on WeCom, DingTalk or Feishu that is told about the team's tickets."""

    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="chat_robots"
    )
    platform = models.CharField(_("platform"), max_length=20, choices=ChatPlatform.choices)
    webhook_url = models.CharField(
        _("webhook URL"),
        max_length=URL_MAX_LENGTH,
        help_text=_("The robot's address from the group settings; it contains the robot's key (write-only)."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=SECRET_MAX_LENGTH,
        blank=True,
        help_text=_("DingTalk and Feishu: the secret of the robot's signature check (write-only)."),
    )
    events = models.JSONField(_("events"), default=list, blank=True, help_text=_("What the robot is told about."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["team__name", "name"]
        verbose_name = _("chat robot")
        verbose_name_plural = _("chat robots")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def address(self) -> str:
        """The outbox address of this robot's messages (the URL itself is a secret)."""
        return f"robot:{self.pk}"


class Webhook(NoDeleteModel):
    """A generic outbound webhook: a signed JSON POST per event, for any team or one team."""

    name = models.CharField(_("name"), max_length=200)
    url = models.CharField(_("URL"), max_length=URL_MAX_LENGTH)
    secret = models.CharField(
        _("signing secret"),
        max_length=SECRET_MAX_LENGTH,
        help_text=_("Signs each delivery (X-Sopdesk-Signature); write-only."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhooks",
        help_text=_("Empty: the tickets of every team."),
    )
    events = models.JSONField(_("events"), default=list, blank=True, help_text=_("What the webhook is told about."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return f"webhook:{self.pk}"
