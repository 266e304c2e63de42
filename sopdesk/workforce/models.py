"""Agents as a workforce: capacity, presence, working calendar, skills, absences, certifications; team strategies."""

from __future__ import annotations

from datetime import date, datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.workforce.choices import Presence, SkillLevel, Strategy


class AgentProfile(models.Model):
    """How much work an agent takes and when: capacity, presence and working calendar."""

    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="workforce_profile",
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=_("The most open tickets automatic assignment gives this agent."),
    )
    presence = models.CharField(_("presence"), max_length=20, choices=Presence.choices, default=Presence.AVAILABLE)
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("working calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The agent's working hours; empty: always working."),
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class Skill(models.Model):
    """An agent's level in a ticket category (best skill match prefers the highest)."""

    agent = models.ForeignKey("accounts.User", verbose_name=_("agent"), on_delete=models.CASCADE, related_name="skills")
    category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=SkillLevel.choices, default=SkillLevel.BASIC)

    class Meta:
        ordering = ["agent_id", "category_id"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [models.UniqueConstraint(fields=["agent", "category"], name="skill_unique_per_category")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.category} ({self.level})"


class Absence(models.Model):
    """A time an agent is away (leave, training): never assigned automatically then."""

    agent = models.ForeignKey(
        "accounts.User", verbose_name=_("agent"), on_delete=models.CASCADE, related_name="absences"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["agent", "ends_at"], name="absence_agent_ends")]

    def __str__(self) -> str:
        return f"{self.agent}: {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class Certification(models.Model):
    """An agent passed the assessment for a team or a category; valid until it expires."""

    agent = models.ForeignKey(
        "accounts.User", verbose_name=_("agent"), on_delete=models.CASCADE, related_name="certifications"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    assessment = models.CharField(_("assessment"), max_length=200, blank=True)
    passed_on = models.DateField(_("passed on"))
    expires_on = models.DateField(_("expires on"))

    class Meta:
        ordering = ["agent_id", "-expires_on"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, category__isnull=True)
                | models.Q(team__isnull=True, category__isnull=False),
                name="certification_for_team_or_category",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("passed_on")), name="certification_expires_after_passing"
            ),
        ]
        indexes = [models.Index(fields=["agent", "expires_on"], name="certification_agent_expiry")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.team or self.category} → {self.expires_on}"

    def is_valid_on(self, day: date) -> bool:
        return self.passed_on <= day <= self.expires_on


class TeamAssignment(models.Model):
    """How a team assigns its new tickets, where they go when nobody qualifies, and who may work alone."""

    team = models.OneToOneField(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="assignment_setting",
    )
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.MANUAL)
    backup_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("backup group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("When no agent qualifies, new tickets move to this team and the leads are told."),
    )
    requires_certification = models.BooleanField(
        _("requires certification"),
        default=True,
        help_text=_("Agents without a valid certification for the team or category work only with a co-signer."),
    )

    class Meta:
        verbose_name = _("team assignment setting")
        verbose_name_plural = _("team assignment settings")

    def __str__(self) -> str:
        return str(self.team)


class RoundRobinCursor(models.Model):
    """The agent a team's round robin gave a ticket last (the next goes to the one after)."""

    team = models.OneToOneField(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_assignee = models.ForeignKey(
        "accounts.User", verbose_name=_("last assignee"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_assigned_at = models.DateTimeField(_("last assigned at"))

    class Meta:
        verbose_name = _("round-robin position")
        verbose_name_plural = _("round-robin positions")

    def __str__(self) -> str:
        return f"{self.team_id} → {self.last_assignee_id}"
