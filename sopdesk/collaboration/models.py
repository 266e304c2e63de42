"""Collaboration requests between teams (MISSION §6) and each receiving team's acceptance calendar."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopdesk.collaboration.choices import OPEN_STATES, CollaborationState, WayOfWorking
from sopdesk.core.models import NoDeleteModel, NoDeleteQuerySet
from sopdesk.tickets.models import TEXT_MAX_LENGTH

SHORT_TEXT_MAX_LENGTH = 500


class TeamCollaborationSettings(models.Model):
    """The calendar a team's acceptance clock counts in, and its own acceptance window if it differs."""

    team = models.OneToOneField(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="collaboration_settings",
    )
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("working calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the desk's default calendar (SOPDESK_DEFAULT_CALENDAR), else Monday to Friday."),
    )
    acceptance_working_days = models.PositiveSmallIntegerField(
        _("working days to accept"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Empty: the desk's setting (SOPDESK_COLLABORATION_ACCEPT_WORKING_DAYS)."),
    )

    class Meta:
        verbose_name = _("team collaboration settings")
        verbose_name_plural = _("team collaboration settings")

    def __str__(self) -> str:
        return str(self.team)


class CollaborationRequestQuerySet(NoDeleteQuerySet):
    def open(self) -> CollaborationRequestQuerySet:
        """Return the requests still waiting for an answer, work or a confirmation."""
        return self.filter(state__in=[state.value for state in OPEN_STATES])


class CollaborationRequest(NoDeleteModel):
    """One team asking another for help on a ticket.

    requested → accepted | rejected; accepted → in progress → delivered → confirmed | returned;
    returned → in progress again; the asking side may withdraw an open request. Changed only
    through `collaboration/actions.py`.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="collaboration_requests"
    )
    from_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("asking team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collaboration_requests_sent",
    )
    to_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("receiving team"),
        on_delete=models.PROTECT,
        related_name="collaboration_requests_received",
    )
    needed = models.TextField(_("what is needed"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    deliverable = models.CharField(_("deliverable"), max_length=SHORT_TEXT_MAX_LENGTH)
    deadline_at = models.DateTimeField(_("deadline"))
    way_of_working = models.CharField(
        _("way of working"), max_length=20, choices=WayOfWorking.choices, default=WayOfWorking.HAND_OVER
    )
    state = models.CharField(
        _("state"), max_length=20, choices=CollaborationState.choices, default=CollaborationState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    accept_due_at = models.DateTimeField(_("to be accepted by"))
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("accepted or rejected at"), null=True, blank=True)
    reject_reason = models.TextField(
        _("reason for rejecting"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)]
    )
    started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_note = models.TextField(_("delivery note"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    return_reason = models.TextField(
        _("reason for returning"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)]
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed or withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    acceptance_late_at = models.DateTimeField(
        _("acceptance flagged late at"),
        null=True,
        blank=True,
        help_text=_("Set once, when the acceptance window passed without an answer."),
    )
    updated_at = models.DateTimeField(_("updated at"))

    objects = CollaborationRequestQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("collaboration request")
        verbose_name_plural = _("collaboration requests")
        indexes = [
            models.Index(fields=["ticket", "state"], name="collab_ticket_state"),
            models.Index(fields=["to_team", "state", "requested_at"], name="collab_to_team_state"),
            models.Index(fields=["from_team", "requested_at"], name="collab_from_team"),
            # The late-acceptance scan: unanswered requests not flagged yet, by due time.
            models.Index(
                fields=["accept_due_at"],
                name="collab_acceptance_due",
                condition=Q(state=CollaborationState.REQUESTED, acceptance_late_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_team_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def was_accepted_late(self) -> bool:
        return self.responded_at is not None and self.responded_at > self.accept_due_at

    def is_acceptance_overdue(self, *, now: datetime) -> bool:
        """Return True when the request still waits for an answer after its acceptance window."""
        return self.state == CollaborationState.REQUESTED and now >= self.accept_due_at
