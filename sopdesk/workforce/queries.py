"""Read helpers: an agent's workforce record and a team's board (who is available, load, absences today)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.core.errors import NotFound, PermissionRefused
from sopdesk.lib.businesstime import is_working_instant
from sopdesk.sla.calendars import business_calendar
from sopdesk.workforce.actions import is_workforce_manager, led_team_ids, may_manage_agent
from sopdesk.workforce.cached import team_rule
from sopdesk.workforce.choices import Presence, Strategy
from sopdesk.workforce.models import Absence, AgentProfile, Certification
from sopdesk.workforce.qualification import load_by_agent, today


@dataclass(frozen=True)
class BoardRow:
    """One member of a team as its lead sees them."""

    user: User
    is_lead: bool
    presence: str
    capacity: int | None  # None: no workforce profile yet
    open_count: int
    weighted_load: int
    is_working: bool
    absence: Absence | None  # the absence that touches today, if any
    is_certified: bool

    @property
    def presence_label(self) -> str:
        return str(Presence(self.presence).label)

    @property
    def load_percent(self) -> int:
        if not self.capacity:
            return 0
        return min(100, round(100 * self.open_count / self.capacity))

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.open_count >= self.capacity


@dataclass(frozen=True)
class TeamBoard:
    team: Team
    strategy: Strategy
    backup_team_id: int | None
    requires_certification: bool
    rows: list[BoardRow]

    @property
    def available_count(self) -> int:
        return sum(1 for row in self.rows if row.presence == Presence.AVAILABLE and row.absence is None)


def may_view_board(actor: User, team: Team) -> bool:
    """Leads of the team, managers, administrators and auditors see its board."""
    if not actor.is_active or actor.is_requester:
        return False
    return is_workforce_manager(actor) or actor.role == Role.QA_AUDITOR or team.pk in led_team_ids(actor)


def boards_for(actor: User) -> list[Team]:
    """Return the teams whose board `actor` may see, by name."""
    teams = Team.objects.filter(is_active=True).order_by("name")
    if is_workforce_manager(actor) or actor.role == Role.QA_AUDITOR:
        return list(teams)
    return list(teams.filter(pk__in=led_team_ids(actor)))


def get_team(code: str) -> Team:
    team: Team | None = Team.objects.filter(code=code).first()
    if team is None:
        raise NotFound(_("No such team."))
    return team


def check_may_view_board(actor: User, team: Team) -> None:
    if not may_view_board(actor, team):
        raise PermissionRefused(_("Only the team's leads and managers see its board."))


def get_agent(username: str, *, actor: User) -> User:
    """Return the staff member `username` whose record `actor` may read (themself, or as their manager)."""
    agent = User.objects.filter(username=username, is_active=True).first()
    if agent is None or agent.is_requester:
        raise NotFound(_("No such agent."))
    if agent.pk != actor.pk and not may_manage_agent(actor, agent):
        raise PermissionRefused(_("You may not manage this agent or team."))
    return agent


def team_board(team: Team, *, now: datetime) -> TeamBoard:
    """Return `team`'s members with presence, open tickets against capacity, absences today (five queries)."""
    memberships = list(
        TeamMembership.objects.filter(team=team, user__is_active=True)
        .select_related("user")
        .order_by("-is_lead", "user__username")
    )
    ids = [membership.user_id for membership in memberships]
    profiles = {profile.pk: profile for profile in AgentProfile.objects.filter(pk__in=ids).select_related("calendar")}
    loads = load_by_agent(ids)
    day = today(now)
    zone = timezone.get_current_timezone()
    day_start = timezone.make_aware(datetime.combine(day, time.min), zone)
    absences: dict[int, Absence] = {}
    for absence in Absence.objects.filter(
        agent_id__in=ids, starts_at__lt=day_start + timedelta(days=1), ends_at__gt=day_start
    ).order_by("starts_at"):
        absences.setdefault(absence.agent_id, absence)
    day_certified = set(
        Certification.objects.filter(agent_id__in=ids, passed_on__lte=day, expires_on__gte=day, team=team).values_list(
            "agent_id", flat=True
        )
    )
    rule = team_rule(team.pk)
    rows = []
    for membership in memberships:
        profile = profiles.get(membership.user_id)
        count, weighted = loads.get(membership.user_id, (0, 0))
        calendar = profile.calendar if profile is not None else None
        rows.append(
            BoardRow(
                user=membership.user,
                is_lead=membership.is_lead,
                presence=profile.presence if profile is not None else Presence.OFFLINE,
                capacity=profile.capacity if profile is not None else None,
                open_count=count,
                weighted_load=weighted,
                is_working=calendar is None or is_working_instant(business_calendar(calendar), now),
                absence=absences.get(membership.user_id),
                is_certified=membership.user_id in day_certified,
            )
        )
    return TeamBoard(
        team=team,
        strategy=rule.strategy if rule is not None else Strategy.MANUAL,
        backup_team_id=rule.backup_team_id if rule is not None else None,
        requires_certification=rule.requires_certification if rule is not None else False,
        rows=rows,
    )
