"""When a ticket waiting for its requester's confirmation is reminded and closed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingClosure(models.Model):
    """The auto-close schedule of one resolved or pending-confirmation ticket.

    Written by the follower (follow.py) in the transaction of the status change that starts the
    wait, deleted when the wait ends (any other status) or the requester answers; the job
    (autoclose.py) reminds and closes the rows that fell due.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pending_closure",
    )
    waiting_since_at = models.DateTimeField(_("waiting since"))
    remind_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    close_at = models.DateTimeField(_("closes at"))

    class Meta:
        verbose_name = _("pending automatic closing")
        verbose_name_plural = _("pending automatic closings")
        indexes = [
            # The job's reminder step: reminders not yet sent, in due order.
            models.Index(
                fields=["remind_at"],
                condition=models.Q(reminded_at__isnull=True, remind_at__isnull=False),
                name="closing_reminder_due",
            ),
            # The job's closing step, in due order.
            models.Index(fields=["close_at"], name="closing_close_due"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.close_at:%Y-%m-%d %H:%M}"
