from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _


class CollaborationState(models.TextChoices):
    """Where a collaboration request stands (MISSION §6); see `OPEN_STATES`."""

    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    CONFIRMED = "confirmed", _("Confirmed")
    RETURNED = "returned", _("Returned")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A request is open until it is rejected, confirmed or withdrawn; a returned delivery is worked on again.
OPEN_STATES = frozenset(
    {
        CollaborationState.REQUESTED,
        CollaborationState.ACCEPTED,
        CollaborationState.IN_PROGRESS,
        CollaborationState.DELIVERED,
        CollaborationState.RETURNED,
    }
)


class StepRule(NamedTuple):
    """When a step on a request is possible, and whether it needs a text (a note or a reason)."""

    from_states: frozenset[CollaborationState]
    needs_text: bool


_S = CollaborationState
_WORKING = frozenset({_S.ACCEPTED, _S.IN_PROGRESS, _S.RETURNED})
# The one lifecycle table: the actions refuse a step from any other state, the pages offer only these.
STEPS: dict[str, StepRule] = {
    "accept": StepRule(frozenset({_S.REQUESTED}), needs_text=False),
    "reject": StepRule(frozenset({_S.REQUESTED}), needs_text=True),
    "progress": StepRule(_WORKING, needs_text=True),
    "deliver": StepRule(_WORKING, needs_text=True),
    "confirm": StepRule(frozenset({_S.DELIVERED}), needs_text=False),
    "return": StepRule(frozenset({_S.DELIVERED}), needs_text=True),
    "withdraw": StepRule(OPEN_STATES, needs_text=True),
}
# Who takes which step: the receiving team answers and works, the asking side closes the loop.
ANSWERING_STEPS = ("accept", "reject", "progress", "deliver")
ASKING_STEPS = ("confirm", "return", "withdraw")


def possible_steps(state: str) -> frozenset[str]:
    """Return the steps a request in `state` allows (whoever may take them)."""
    return frozenset(step for step, rule in STEPS.items() if state in rule.from_states)


class WayOfWorking(models.TextChoices):
    """How the receiving team works with the asking one."""

    HAND_OVER = "hand_over", _("They work on it and report back")
    JOINT = "joint", _("Joint working session")
    ON_SITE = "on_site", _("On site")
    ADVICE = "advice", _("Advice only")


class CollaborationEventKind(models.TextChoices):
    """Collaboration entries on a ticket's timeline (registered in CollaborationConfig.ready); all internal."""

    REQUESTED = "collaboration_requested", _("Collaboration requested")
    ACCEPTED = "collaboration_accepted", _("Collaboration accepted")
    REJECTED = "collaboration_rejected", _("Collaboration rejected")
    PROGRESS = "collaboration_progress", _("Collaboration progress")
    DELIVERED = "collaboration_delivered", _("Collaboration delivered")
    CONFIRMED = "collaboration_confirmed", _("Collaboration delivery confirmed")
    RETURNED = "collaboration_returned", _("Collaboration delivery returned")
    WITHDRAWN = "collaboration_withdrawn", _("Collaboration request withdrawn")
    ACCEPTANCE_LATE = "collaboration_late", _("Collaboration not accepted in time")
