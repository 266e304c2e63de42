from django.db import models
from django.utils.translation import gettext_lazy as _

from sopdesk.accounts.choices import TeamTier


class RoutingEventKind(models.TextChoices):
    """The routing entries on a ticket's timeline (registered with the ticket timeline in RoutingConfig.ready)."""

    ROUTED = "routed", _("Routed")
    TIER_ESCALATED = "tier_escalated", _("Escalated to the next tier")
    MAJOR_INCIDENT = "major_incident", _("Marked as a major incident")


class RouteBasis(models.TextChoices):
    """Why a new ticket went to its team, in the order the router tries them."""

    RULE = "rule", _("routing rule")
    SPECIALIST = "specialist", _("specialist team of the category")
    CATEGORY = "category", _("default team of the category")
    INTAKE = "intake", _("intake team")
    NONE = "none", _("no team")


# First line → second line → specialist team → management (MISSION §5).
TIER_ORDER: tuple[TeamTier, ...] = (
    TeamTier.FIRST_LINE,
    TeamTier.SECOND_LINE,
    TeamTier.SPECIALIST,
    TeamTier.MANAGEMENT,
)
