"""Who qualifies for a ticket of a team: available, working, present, certified agents under capacity.

`qualifying_agents` is the one answer automatic assignment, the team board and the API use;
`certification_refusal` is the rule `assign_ticket` asks before giving a ticket to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError
from sopdesk.lib.businesstime import is_working_instant
from sopdesk.sla.calendars import business_calendar
from sopdesk.tickets.cached import ticket_config
from sopdesk.tickets.models import OPEN_STATUS_CONDITION, Ticket
from sopdesk.workforce.cached import team_rule
from sopdesk.workforce.choices import PRIORITY_WEIGHTS, Presence
from sopdesk.workforce.models import Absence, AgentProfile, Certification, Skill


@dataclass(frozen=True)
class Candidate:
    """An agent who qualifies, with what the strategies compare."""

    user: User
    capacity: int
    open_count: int
    weighted_load: int
    skill_level: int

    @property
    def user_id(self) -> int:
        return self.user.pk


def category_line(category_id: int | None) -> list[int]:
    """Return `category_id` and its ancestors, nearest first (from the cached category tree)."""
    parents = ticket_config().category_parents
    line: list[int] = []
    current = category_id
    while current is not None and current not in line:
        line.append(current)
        current = parents.get(current)
    return line


def today(now: datetime) -> date:
    return timezone.localtime(now).date()


def _valid_certifications(*, team_id: int | None, category_ids: list[int], day: date) -> Q:
    scope = Q(team_id=team_id) if team_id is not None else Q(pk__in=[])
    if category_ids:
        scope |= Q(category_id__in=category_ids)
    return scope & Q(passed_on__lte=day, expires_on__gte=day)


def is_certified(user: User, *, team_id: int | None, category_id: int | None, now: datetime) -> bool:
    """Whether `user` holds a valid certification for the team or the ticket's category (or a parent of it)."""
    scope = _valid_certifications(team_id=team_id, category_ids=category_line(category_id), day=today(now))
    return Certification.objects.filter(scope, agent=user).exists()


def needs_certification(team_id: int | None) -> bool:
    rule = team_rule(team_id)
    return rule is not None and rule.requires_certification


def certification_refusal(
    ticket: Ticket, *, team: Team | None, assignee: User, cosigner: User | None, actor: User, now: datetime
) -> ActionError | None:
    """Refuse giving `ticket` to an agent not certified for its team or category, unless a certified member co-signs."""
    team_id = team.pk if team is not None else None
    if not needs_certification(team_id) or is_certified(
        assignee, team_id=team_id, category_id=ticket.category_id, now=now
    ):
        if cosigner is not None and cosigner.pk == assignee.pk:
            return ActionError(_("The co-signer must be someone other than the assignee."), field="cosigner")
        return None
    if cosigner is None:
        return ActionError(
            _("%(name)s is not certified for this work yet: name a certified co-signer.") % {"name": assignee},
            field="cosigner",
        )
    if cosigner.pk == assignee.pk:
        return ActionError(_("The co-signer must be someone other than the assignee."), field="cosigner")
    if not cosigner.is_agent_staff or team is None or not team.memberships.filter(user=cosigner).exists():
        return ActionError(_("The co-signer must be a member of the ticket's team."), field="cosigner")
    if not is_certified(cosigner, team_id=team_id, category_id=ticket.category_id, now=now):
        return ActionError(_("The co-signer is not certified for this work."), field="cosigner")
    return None


def _profiles(team_id: int, *, category_id: int | None, now: datetime, certified_only: bool):  # type: ignore[no-untyped-def]
    """Profiles of the team's active staff who are available, not absent and (if asked) certified."""
    absent = Absence.objects.filter(agent_id=OuterRef("user_id"), starts_at__lte=now, ends_at__gt=now)
    profiles = (
        AgentProfile.objects.filter(
            user__memberships__team_id=team_id,
            user__is_active=True,
            presence=Presence.AVAILABLE,
        )
        .exclude(user__role=Role.REQUESTER, user__is_superuser=False)
        .exclude(Exists(absent))
    )
    if certified_only:
        scope = _valid_certifications(team_id=team_id, category_ids=category_line(category_id), day=today(now))
        certified = Certification.objects.filter(scope, agent_id=OuterRef("user_id"))
        profiles = profiles.filter(Exists(certified))
    return profiles.select_related("user", "calendar").order_by("pk")


def load_by_agent(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Open tickets per agent: (count, weighted by priority), one grouped query."""
    result: dict[int, tuple[int, int]] = {}
    rows = (
        Ticket.objects.filter(OPEN_STATUS_CONDITION, assignee_id__in=user_ids)
        .values_list("assignee_id", "priority")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for user_id, priority, total in rows:
        count, weighted = result.get(user_id, (0, 0))
        result[user_id] = (count + total, weighted + total * PRIORITY_WEIGHTS.get(priority, 1))
    return result


def qualifying_agents(
    team_id: int, *, category_id: int | None, now: datetime, lock: bool = False, with_skills: bool = False
) -> list[Candidate]:
    """Return the agents who may get a new ticket of `team_id` now, in user-id order.

    Only available agents with a profile, inside their working hours, not absent, certified when the
    team requires it, and under their capacity. `lock` locks their profile rows first (inside the
    assignment's transaction), so two assignments at once count each other's tickets.
    """
    profiles = _profiles(team_id, category_id=category_id, now=now, certified_only=needs_certification(team_id))
    if lock:
        profiles = profiles.select_for_update(of=("self",))
    working = [
        profile
        for profile in profiles
        if profile.calendar is None or is_working_instant(business_calendar(profile.calendar), now)
    ]
    if not working:
        return []
    ids = [profile.pk for profile in working]
    loads = load_by_agent(ids)
    skills: dict[int, int] = {}
    if with_skills:
        line = category_line(category_id)
        if line:
            for agent_id, level in Skill.objects.filter(agent_id__in=ids, category_id__in=line).values_list(
                "agent_id", "level"
            ):
                skills[agent_id] = max(skills.get(agent_id, 0), level)
    candidates = []
    for profile in working:
        count, weighted = loads.get(profile.pk, (0, 0))
        if count < profile.capacity:
            candidates.append(
                Candidate(
                    user=profile.user,
                    capacity=profile.capacity,
                    open_count=count,
                    weighted_load=weighted,
                    skill_level=skills.get(profile.pk, 0),
                )
            )
    return candidates
