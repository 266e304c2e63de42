"""Phone calls logged by agents against tickets (MISSION §1: phone answered within 30 s)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.calls.choices import CallDirection, CallOutcome
from sopdesk.core.models import NoDeleteModel
from sopdesk.tickets.models import TEXT_MAX_LENGTH


class PhoneCall(NoDeleteModel):
    """One call about a ticket: who called, when it rang, was answered and ended, and what came of it."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="phone_calls"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="phone_calls"
    )
    caller_number = models.CharField(_("caller number"), max_length=40)
    caller_name = models.CharField(_("caller name"), max_length=150, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    ring_at = models.DateTimeField(_("rang at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=CallOutcome.choices, default=CallOutcome.ANSWERED_ON_CALL
    )
    created_ticket = models.BooleanField(_("created the ticket"), default=False)
    created_at = models.DateTimeField(_("logged at"))

    class Meta:
        ordering = ["ring_at", "pk"]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")
        indexes = [models.Index(fields=["ring_at"], name="phone_call_ring_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(answered_at__gte=models.F("ring_at")),
                name="phone_call_answered_after_ring",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller_number} @ {self.ring_at:%Y-%m-%d %H:%M}"

    @property
    def answer_seconds(self) -> int | None:
        """Return how many seconds the phone rang before it was answered (None: not answered)."""
        if self.answered_at is None:
            return None
        return int((self.answered_at - self.ring_at).total_seconds())
