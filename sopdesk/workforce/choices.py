from django.db import models
from django.utils.translation import gettext_lazy as _


class Presence(models.TextChoices):
    """Whether an agent takes new work now; only available agents are assigned automatically."""

    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Strategy(models.TextChoices):
    """How a team gives its new tickets to an agent."""

    MANUAL = "manual", _("Manual (no automatic assignment)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    BEST_SKILL = "best_skill", _("Best skill match")


class SkillLevel(models.IntegerChoices):
    BASIC = 1, _("Basic")
    INTERMEDIATE = 2, _("Intermediate")
    ADVANCED = 3, _("Advanced")
    EXPERT = 4, _("Expert")


class WorkforceEventKind(models.TextChoices):
    """Timeline entries that explain automatic assignment (the actor is the system)."""

    AUTO_ASSIGNED = "auto_assigned", _("Assigned automatically")
    NOBODY_QUALIFIED = "nobody_qualified", _("No agent qualified")


# How much an open ticket weighs in the least-loaded strategy, by priority.
PRIORITY_WEIGHTS = {"P1": 4, "P2": 3, "P3": 2, "P4": 1}
