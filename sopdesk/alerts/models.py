"""Monitoring alert sources and the alerts they sent (MISSION §1: monitoring alerts as a channel)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.alerts.choices import AlertStatus, SourceKind
from sopdesk.core.models import NoDeleteModel
from sopdesk.tickets.choices import Priority


def default_severity_map() -> dict[str, str]:
    # Common severity words of Alertmanager rules and Zabbix; admins change them per source.
    return {
        "critical": Priority.P1,
        "disaster": Priority.P1,
        "high": Priority.P2,
        "error": Priority.P2,
        "average": Priority.P3,
        "warning": Priority.P3,
        "info": Priority.P4,
        "information": Priority.P4,
        "not classified": Priority.P4,
    }


class AlertSource(NoDeleteModel):
    """A monitoring system allowed to post alerts, with its own token (stored hashed) and ticket defaults."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("payload format"), max_length=20, choices=SourceKind.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("is active"), default=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Incident tickets go to this team; empty: the usual routing."),
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    severity_map: models.JSONField[dict[str, str], dict[str, str]] = models.JSONField(
        _("severity to priority"), default=default_severity_map, blank=True
    )
    default_priority = models.CharField(
        _("priority of unknown severities"), max_length=2, choices=Priority.choices, default=Priority.P3
    )
    auto_resolve = models.BooleanField(
        _("resolve tickets automatically"),
        default=False,
        help_text=_("When the source reports an alert resolved, resolve its incident ticket."),
    )
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="alert_source",
        editable=False,
        help_text=_("The account the source's tickets are filed by; it cannot sign in."),
    )
    created_at = models.DateTimeField(_("created at"), editable=False)
    updated_at = models.DateTimeField(_("updated at"), editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.name

    def priority_for(self, severity: str) -> str:
        """Return the priority this source maps `severity` to (case-insensitive), else its default."""
        mapping = {key.strip().lower(): value for key, value in self.severity_map.items()}
        return mapping.get(severity.strip().lower(), self.default_priority)


class Alert(NoDeleteModel):
    """One alert of a source, identified by its fingerprint, and the incident ticket it opened."""

    source = models.ForeignKey(AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(_("fingerprint"), max_length=200)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="alerts"
    )
    status = models.CharField(_("status"), max_length=10, choices=AlertStatus.choices)
    name = models.CharField(_("name"), max_length=200)
    severity = models.CharField(_("severity"), max_length=50, blank=True)
    labels: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(_("labels"), default=dict, blank=True)
    annotations: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        _("annotations"), default=dict, blank=True
    )
    starts_at = models.DateTimeField(_("started at"))
    ends_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    fire_count = models.PositiveIntegerField(_("times fired"), default=1)
    first_received_at = models.DateTimeField(_("first received at"))
    last_received_at = models.DateTimeField(_("last received at"))

    class Meta:
        ordering = ["-last_received_at", "pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["source", "fingerprint"], name="alert_unique_fingerprint_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.name}"
