"""The structured records of casework (MISSION §3) and the desk's canned responses.

Records hang off a ticket and are never deleted: diagnosis steps and verification results are
written once (a correction is a new record); authorisations and solution plans change state only
through the actions in `casework/actions.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.models import User
from sopdesk.casework.choices import AuthorizationState, Language, PlanState, VerificationOutcome
from sopdesk.core.models import AppendOnlyModel, AppendOnlyQuerySet, NoDeleteModel, NoDeleteQuerySet
from sopdesk.tickets.models import TEXT_MAX_LENGTH
from sopdesk.tickets.querysets import ticket_visibility_q

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

SHORT_TEXT_MAX_LENGTH = 500
CANNED_BODY_MAX_LENGTH = 5000


def _long_text(verbose: StrOrPromise, *, blank: bool = True) -> models.TextField:  # type: ignore[type-arg]
    return models.TextField(verbose, blank=blank, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])


class _RecordVisibility:
    """Records of the tickets a user may see; with `is_public`, requesters see only public ones."""

    def visible_to(self, user: User, *, by_key: bool = False) -> Self:
        """Return the records of tickets `user` may see; internal ones (not `is_public`) only for staff.

        `by_key=True` when the caller narrows to one ticket's records (`ticket_visibility_q`).
        """
        rows = self.all()  # type: ignore[attr-defined]
        if not user.is_authenticated or not user.is_active:
            return rows.none()  # type: ignore[no-any-return]
        if user.is_requester and any(field.name == "is_public" for field in rows.model._meta.fields):
            rows = rows.filter(is_public=True)
        condition = ticket_visibility_q(user, prefix="ticket__", by_key=by_key)
        return rows if condition is None else rows.filter(condition)  # type: ignore[no-any-return]


class AppendOnlyRecordQuerySet(_RecordVisibility, AppendOnlyQuerySet):
    """Written-once records of a ticket."""


class RecordQuerySet(_RecordVisibility, NoDeleteQuerySet):
    """Records of a ticket that change state but are never deleted."""


class DiagnosisStep(AppendOnlyModel):
    """One check made while diagnosing: what, with which command or parameters, what came out."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="diagnosis_steps"
    )
    checked = models.CharField(
        _("what was checked"), max_length=SHORT_TEXT_MAX_LENGTH, validators=[MinLengthValidator(1)]
    )
    command = _long_text(_("command or parameters"))
    result = _long_text(_("result"), blank=False)
    attachments = models.ManyToManyField(
        "tickets.Attachment", verbose_name=_("screenshots and files"), blank=True, related_name="+"
    )
    is_public = models.BooleanField(
        _("visible to the requester"), default=False, help_text=_("Diagnosis steps are internal unless marked public.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))

    objects = AppendOnlyRecordQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("diagnosis step")
        verbose_name_plural = _("diagnosis steps")
        indexes = [models.Index(fields=["ticket", "created_at"], name="diagnosis_ticket_created")]

    def __str__(self) -> str:
        return self.checked


class RemoteAssistanceAuthorization(NoDeleteModel):
    """A requester's permission for remote assistance: asked by staff, granted or refused by the requester.

    requested → granted | refused; granted → revoked, or expired once `ends_at` passes (read, not stored).
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="remote_authorizations"
    )
    scope = _long_text(_("scope: what the agent may do and access"), blank=False)
    method = models.CharField(_("tool or method"), max_length=200, validators=[MinLengthValidator(1)])
    ends_at = models.DateTimeField(_("valid until"))
    state = models.CharField(
        _("state"), max_length=16, choices=AuthorizationState.choices, default=AuthorizationState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted or refused by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("granted or refused at"), null=True, blank=True)
    refusal_reason = _long_text(_("reason for refusal"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RecordQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("remote-assistance authorisation")
        verbose_name_plural = _("remote-assistance authorisations")
        indexes = [models.Index(fields=["ticket", "requested_at"], name="remote_auth_ticket_requested")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s for s in AuthorizationState.values if s != AuthorizationState.EXPIRED]),
                name="remote_auth_stored_state",
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} → {self.ends_at:%Y-%m-%d %H:%M}"

    def state_at(self, now: datetime) -> AuthorizationState:
        """Return the state as of `now`: a granted authorisation past its time limit reads as expired."""
        state = AuthorizationState(self.state)
        if state == AuthorizationState.GRANTED and now >= self.ends_at:
            return AuthorizationState.EXPIRED
        return state

    def is_in_force(self, now: datetime) -> bool:
        """Return True while the agent may work remotely under this authorisation."""
        return self.state_at(now) == AuthorizationState.GRANTED


class SolutionPlan(NoDeleteModel):
    """A versioned plan for the fix, confirmed or rejected by the requester; a new version supersedes the last."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="solution_plans"
    )
    version = models.PositiveIntegerField(_("version"))
    steps = _long_text(_("steps"), blank=False)
    resources = _long_text(_("resources"))
    risks = _long_text(_("risks"))
    rollback_plan = _long_text(_("rollback plan"), blank=False)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=PlanState.choices, default=PlanState.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("confirmed or rejected at"), null=True, blank=True)
    rejection_reason = _long_text(_("reason for rejection"))
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    objects = RecordQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["version"]
        verbose_name = _("solution plan")
        verbose_name_plural = _("solution plans")
        constraints = [models.UniqueConstraint(fields=["ticket", "version"], name="solution_plan_unique_version")]

    def __str__(self) -> str:
        return f"{self.ticket_id} v{self.version}"


class VerificationResult(AppendOnlyModel):
    """What was verified after the fix, and whether it passed."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="verification_results"
    )
    verified = _long_text(_("what was verified"), blank=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=VerificationOutcome.choices)
    notes = _long_text(_("notes"))
    is_public = models.BooleanField(
        _("visible to the requester"),
        default=False,
        help_text=_("Verification results are internal unless marked public."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))

    objects = AppendOnlyRecordQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("verification result")
        verbose_name_plural = _("verification results")
        indexes = [models.Index(fields=["ticket", "created_at"], name="verification_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.verified[:50]}"


class CannedResponse(NoDeleteModel):
    """A standard phrase with variables, personal (an owner) or shared by a team (managed by its leads)."""

    title = models.CharField(_("title"), max_length=200, validators=[MinLengthValidator(1)])
    body = models.TextField(
        _("body"),
        validators=[MinLengthValidator(1), MaxLengthValidator(CANNED_BODY_MAX_LENGTH)],
        help_text=_(
            "Plain text; variables: {requester_name}, {ticket_number}, {ticket_title}, {agent_name}, {team_name}."
        ),
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text=_("Set for a personal canned response."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text=_("Set for a canned response the team shares."),
    )
    is_active = models.BooleanField(_("is active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, team__isnull=True) | Q(owner__isnull=True, team__isnull=False),
                name="canned_response_one_scope",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "language"], name="canned_owner_language"),
            models.Index(fields=["team", "language"], name="canned_team_language"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_personal(self) -> bool:
        return self.owner_id is not None
