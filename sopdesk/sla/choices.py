from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    ASSIGNMENT = "assignment", _("Assignment")
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    UPDATE = "update", _("Update interval")


# Metrics that escalation rules may watch; the recurring update interval only warns its people.
ESCALATION_METRICS = (Metric.ASSIGNMENT, Metric.FIRST_RESPONSE, Metric.RESOLUTION)


class SlaEventKind(models.TextChoices):
    """The SLA entries on a ticket's timeline (registered with the ticket timeline in SlaConfig.ready)."""

    SLA_TARGETS_SET = "sla_targets_set", _("SLA targets set")
    SLA_PAUSED = "sla_paused", _("SLA clock paused")
    SLA_RESUMED = "sla_resumed", _("SLA clock resumed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_ESCALATED = "sla_escalated", _("Escalated")
    OVERDUE_REASON = "sla_overdue_reason", _("Overdue reason recorded")


class ClockState(models.TextChoices):
    OK = "ok", _("On track")
    WARNING = "warning", _("Warning")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    NONE = "none", _("No target")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DateKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (day off)")
    WORKING_DAY = "working_day", _("Extra working day (make-up day)")
