from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertEventKind(models.TextChoices):
    """The alert entries on an incident ticket's timeline (registered in AlertsConfig.ready)."""

    ALERT_FIRING = "alert_firing", _("Alert firing")
    ALERT_REFIRED = "alert_refired", _("Alert fired again")
    ALERT_RESOLVED = "alert_resolved", _("Alert resolved")


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    GENERIC = "generic", _("Generic JSON")


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class AlertOutcome(models.TextChoices):
    """What one received alert did (the endpoint's answer per alert)."""

    CREATED = "created", _("Created an incident ticket")
    REFIRED = "refired", _("Noted as firing again")
    DUPLICATE = "duplicate", _("Already known (a retry or a repeat)")
    RESOLVED = "resolved", _("Recorded as resolved")
    IGNORED = "ignored", _("Ignored: resolved without having fired")
