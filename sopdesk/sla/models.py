"""Business calendars, SLA policies with escalation rules, and each ticket's SLA clocks."""

from __future__ import annotations

import secrets
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopdesk.core import config_cache
from sopdesk.core.models import AppendOnlyModel, NoDeleteModel
from sopdesk.sla.choices import DateKind, Metric, Weekday
from sopdesk.tickets.choices import Channel, Priority

# Targets up to a year of business time; longer ones are typos.
MAX_TARGET_MINUTES = 525_600


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("Unknown time zone “%(zone)s”; use an IANA name such as Asia/Shanghai."), params={"zone": value}
        )


def minute_of_day(value: time, *, is_end: bool) -> int:
    """Return minutes after midnight; an end of 00:00 means midnight at the end of the day."""
    minutes = value.hour * 60 + value.minute
    return 1440 if is_end and minutes == 0 else minutes


class Calendar(NoDeleteModel):
    """Working hours in a time zone with holidays and make-up working days, or 24×7."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    is_24x7 = models.BooleanField(
        _("24×7"), default=False, help_text=_("Every hour of every day counts; working hours and dates are ignored.")
    )
    is_active = models.BooleanField(_("is active"), default=True)
    # A new stamp on every change of hours, dates, time zone or 24×7 mode, so that cached copies notice.
    # Only the configuration actions (sopdesk.sla.config) write those, and they bump it.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def bump_revision(self) -> None:
        """Give the calendar a new revision stamp, so that cached copies are rebuilt."""
        # Random, not +1: after a rolled-back bump, +1 would hand out the same stamp again for
        # different contents, and a copy cached inside the rolled-back transaction would look current.
        self.revision = secrets.randbelow(2**31 - 1) + 1
        Calendar.objects.filter(pk=self.pk).update(revision=self.revision)
        # The cached policies hold their calendars: an update sends no signal, so say it here.
        config_cache.bump()


class WorkingInterval(models.Model):
    """One stretch of working time on a weekday, in the calendar's local time (end 00:00 = midnight).

    Written only by `sopdesk.sla.config`, which checks the whole weekly schedule and bumps the revision.
    """

    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["calendar", "weekday", "starts_at"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.starts_at, is_end=False)

    @property
    def end_minute(self) -> int:
        return minute_of_day(self.ends_at, is_end=True)


class CalendarDate(models.Model):
    """A date that differs from the weekly pattern: a holiday, or a weekend date that is worked (调休).

    Written only by `sopdesk.sla.config`, which records the change and bumps the calendar's revision.
    """

    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="dates")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=DateKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    works_like = models.PositiveSmallIntegerField(
        _("works like"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("For an extra working day: whose working hours apply."),
    )

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar date")
        verbose_name_plural = _("holidays and make-up working days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_date_unique")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


def _target_field(verbose: Any, help_text: Any) -> models.PositiveIntegerField:  # type: ignore[type-arg]
    return models.PositiveIntegerField(
        verbose,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)],
        help_text=help_text,
    )


class SlaPolicy(NoDeleteModel):
    """Targets for the tickets it matches: by priority and optionally customer level, category, channel."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=100, help_text=_("The first matching policy applies."))
    is_active = models.BooleanField(_("is active"), default=True)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    customer_level = models.ForeignKey(
        "accounts.CustomerLevel",
        verbose_name=_("customer level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: any customer level."),
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: any category. A parent category also matches its subcategories."),
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, blank=True, help_text=_("Empty: any channel.")
    )
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+")
    assignment_minutes = _target_field(
        _("assignment target (minutes)"), _("Business minutes until someone is assigned.")
    )
    first_response_minutes = _target_field(
        _("first response target (minutes)"), _("Business minutes until the first public reply by staff.")
    )
    resolution_minutes = _target_field(
        _("resolution target (minutes)"), _("Business minutes until resolved, not counting time paused.")
    )
    update_interval_minutes = _target_field(
        _("update interval (minutes)"), _("After the first response, the requester hears from staff this often.")
    )
    warning_percent = models.PositiveSmallIntegerField(
        _("warning threshold (percent of target)"), default=75, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    backup_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("backup group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Tickets still unassigned when the assignment target passes move to this team."),
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class EscalationRule(models.Model):
    """When a metric's due instant is `offset_minutes` of business time away (− before, + after), act once."""

    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.CASCADE, related_name="escalation_rules"
    )
    metric = models.CharField(
        _("metric"),
        max_length=20,
        choices=[(m.value, m.label) for m in (Metric.ASSIGNMENT, Metric.FIRST_RESPONSE, Metric.RESOLUTION)],
    )
    offset_minutes = models.IntegerField(
        _("offset (minutes)"),
        validators=[MinValueValidator(-MAX_TARGET_MINUTES), MaxValueValidator(MAX_TARGET_MINUTES)],
        help_text=_("Business minutes relative to the due instant: negative before it, positive after it."),
    )
    notify_team_lead = models.BooleanField(_("notify the team lead"), default=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("escalation contacts"), blank=True, related_name="+"
    )
    reassign_to_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("reassign to team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Typically the next tier."),
    )
    raise_priority = models.BooleanField(_("raise the priority one step"), default=False)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["policy", "metric", "offset_minutes", "pk"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.offset_minutes:+d} min"


class TicketSla(models.Model):
    """The clocks of one ticket: due, met and breached instants per metric, and the scanner's next check."""

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    calendar = models.ForeignKey(
        Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The targets as they were when the clocks were set, so later policy edits do not rewrite history.
    assignment_target_minutes = models.PositiveIntegerField(_("assignment target (minutes)"), null=True, blank=True)
    first_response_target_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), null=True, blank=True
    )
    resolution_target_minutes = models.PositiveIntegerField(_("resolution target (minutes)"), null=True, blank=True)
    update_interval_minutes = models.PositiveIntegerField(_("update interval (minutes)"), null=True, blank=True)
    warning_percent = models.PositiveSmallIntegerField(_("warning threshold (percent of target)"), default=75)
    started_at = models.DateTimeField(_("clock started at"))
    targets_set_at = models.DateTimeField(_("targets set at"))

    assignment_due_at = models.DateTimeField(_("assignment due at"), null=True, blank=True)
    assignment_met_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assignment_warned_at = models.DateTimeField(_("assignment warning at"), null=True, blank=True)
    assignment_breached_at = models.DateTimeField(_("assignment breached at"), null=True, blank=True)

    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    first_response_met_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    first_response_warned_at = models.DateTimeField(_("first response warning at"), null=True, blank=True)
    first_response_breached_at = models.DateTimeField(_("first response breached at"), null=True, blank=True)

    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, blank=True)
    resolution_met_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_warned_at = models.DateTimeField(_("resolution warning at"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution breached at"), null=True, blank=True)
    # While waiting for the customer (or resolved) the resolution clock stands still; the business
    # time it stood still moves the due instant on resume.
    resolution_paused_at = models.DateTimeField(_("resolution paused at"), null=True, blank=True)
    paused_seconds = models.BigIntegerField(_("business time paused (s)"), default=0)

    update_due_at = models.DateTimeField(_("next update due at"), null=True, blank=True)
    update_breached_at = models.DateTimeField(_("update last missed at"), null=True, blank=True)
    update_breach_count = models.PositiveIntegerField(_("updates missed"), default=0)

    escalations_fired: models.JSONField[Any, Any] = models.JSONField(
        _("escalation rules fired"), default=list, blank=True
    )
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)
    # Compare-and-set token: every writer bumps it; the scanner's claim fails on a stale version.
    version = models.PositiveIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            # The SLA scanner's work queue: only rows with something left to check are indexed.
            models.Index(fields=["next_check_at"], name="sla_scanner_due", condition=Q(next_check_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"SLA {self.ticket_id}"

    def due_at(self, metric: str) -> datetime | None:
        value: datetime | None = getattr(self, _DUE_COLUMNS.get(metric) or f"{Metric(metric).value}_due_at")
        return value

    def target(self, metric: str) -> int | None:
        value: int | None = getattr(self, _TARGET_COLUMNS.get(metric) or f"{Metric(metric).value}_target_minutes")
        return value


# By metric, so that reading thousands of clocks (an SLA sweep) builds no Metric per read.
_DUE_COLUMNS = {metric.value: f"{metric.value}_due_at" for metric in Metric}
_TARGET_COLUMNS = {
    metric.value: "update_interval_minutes" if metric == Metric.UPDATE else f"{metric.value}_target_minutes"
    for metric in Metric
}


class SlaEscalation(AppendOnlyModel):
    """One escalation rule that fired for one ticket; the unique pair makes a second firing impossible."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="sla_escalations"
    )
    rule = models.ForeignKey(
        EscalationRule, verbose_name=_("escalation rule"), on_delete=models.PROTECT, related_name="+"
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    threshold_at = models.DateTimeField(_("threshold at"))
    fired_at = models.DateTimeField(_("fired at"))

    class Meta:
        ordering = ["fired_at", "id"]
        verbose_name = _("SLA escalation")
        verbose_name_plural = _("SLA escalations")
        constraints = [models.UniqueConstraint(fields=["ticket", "rule"], name="sla_escalation_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.rule_id} @ {self.fired_at:%Y-%m-%d %H:%M}"


OVERDUE_REASON_MAX_LENGTH = 2000


class OverdueReason(AppendOnlyModel):
    """Why a clock ran over its target: the SOP asks every overdue ticket to record it.

    Written once; a correction is a newer row, and the newest per clock is the one shown and counted.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="overdue_reasons"
    )
    metric = models.CharField(_("clock"), max_length=20, choices=Metric.choices)
    reason = models.TextField(_("reason"), max_length=OVERDUE_REASON_MAX_LENGTH)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("overdue reason")
        verbose_name_plural = _("overdue reasons")
        indexes = [models.Index(fields=["ticket", "metric", "-recorded_at"], name="overdue_reason_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} @ {self.recorded_at:%Y-%m-%d %H:%M}"
