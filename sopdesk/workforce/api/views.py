"""Workforce endpoints: presence, agent profiles, skills, absences, certifications, team strategies and boards.

Every write calls one action in `sopdesk.workforce.actions` (which checks the actor and records the
change in the configuration audit log).
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from sopdesk.accounts.models import Team, User
from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.errors import ActionError, NotFound
from sopdesk.sla.models import Calendar
from sopdesk.tickets.api.serializers import user_ref
from sopdesk.tickets.models import Category
from sopdesk.workforce import actions, queries
from sopdesk.workforce.api.schemas import (
    AbsenceIn,
    AgentOut,
    AgentPath,
    AgentSkillPath,
    CertificationIn,
    PresenceIn,
    ProfileIn,
    QualifyingPage,
    QualifyingParams,
    SkillIn,
    TeamAssignmentIn,
    TeamOut,
    WorkforceTeamPath,
)
from sopdesk.workforce.models import Absence, Certification, Skill
from sopdesk.workforce.qualification import load_by_agent, qualifying_agents

router = Router(tags=["workforce"])

ERRORS = error_responses(400, 401, 403, 404, 422)


def _agent_out(agent: User, *, now: Any) -> dict[str, Any]:
    profile = actions.profile_for(agent)
    skills = Skill.objects.filter(agent=agent).select_related("category").order_by("category__code")
    certifications = Certification.objects.filter(agent=agent).select_related("team", "category")
    return {
        "agent": user_ref(agent),
        "presence": profile.presence,
        "capacity": profile.capacity,
        "calendar": profile.calendar.code if profile.calendar is not None else None,
        "open_count": load_by_agent([agent.pk]).get(agent.pk, (0, 0))[0],
        "skills": [{"category": skill.category.code, "level": skill.level} for skill in skills],
        "absences": [
            {"id": a.pk, "starts_at": a.starts_at, "ends_at": a.ends_at, "reason": a.reason}
            for a in Absence.objects.filter(agent=agent, ends_at__gt=now).order_by("starts_at")
        ],
        "certifications": [
            {
                "id": c.pk,
                "team": c.team.code if c.team is not None else None,
                "category": c.category.code if c.category is not None else None,
                "assessment": c.assessment,
                "passed_on": c.passed_on,
                "expires_on": c.expires_on,
            }
            for c in certifications
        ],
    }


def _team(code: str | None, field: str) -> Team | None:
    if not code:
        return None
    team: Team | None = Team.objects.filter(code=code).first()
    if team is None:
        raise ActionError(_("Unknown team."), field=field)
    return team


def _category(code: str | None, field: str) -> Category | None:
    if not code:
        return None
    category: Category | None = Category.objects.filter(code=code).first()
    if category is None:
        raise ActionError(_("Unknown category."), field=field)
    return category


@router.post("/presence", response={200: AgentOut, **ERRORS})
@transaction.atomic
def set_presence(request: HttpRequest, payload: PresenceIn) -> dict[str, Any]:
    """Switch the caller's own presence: only available agents get tickets automatically."""
    actor, now = request_user(request), timezone.now()
    actions.set_presence(actor=actor, presence=payload.presence, now=now)
    return _agent_out(actor, now=now)


@router.get("/agents/{username}", response={200: AgentOut, **ERRORS})
def get_agent(request: HttpRequest, path: Path[AgentPath]) -> dict[str, Any]:
    """Return an agent's capacity, presence, calendar, skills, coming absences and certifications.

    The agent themself, the leads of their teams, managers and administrators.
    """
    actor = request_user(request)
    return _agent_out(queries.get_agent(path.username, actor=actor), now=timezone.now())


@router.put("/agents/{username}/profile", response={200: AgentOut, **ERRORS})
@transaction.atomic
def update_profile(request: HttpRequest, path: Path[AgentPath], payload: ProfileIn) -> dict[str, Any]:
    """Set an agent's capacity and working calendar (their leads, managers, administrators)."""
    actor, now = request_user(request), timezone.now()
    agent = queries.get_agent(path.username, actor=actor)
    calendar = None
    if payload.calendar:
        calendar = Calendar.objects.filter(code=payload.calendar).first()
        if calendar is None:
            raise ActionError(_("Unknown calendar."), field="calendar")
    actions.update_profile(actor=actor, agent=agent, capacity=payload.capacity, calendar=calendar, now=now)
    return _agent_out(agent, now=now)


@router.put("/agents/{username}/skills/{category}", response={200: AgentOut, **ERRORS})
@transaction.atomic
def set_skill(request: HttpRequest, path: Path[AgentSkillPath], payload: SkillIn) -> dict[str, Any]:
    """Give an agent a skill level in a category (replacing the one they had)."""
    actor, now = request_user(request), timezone.now()
    agent = queries.get_agent(path.username, actor=actor)
    found = Category.objects.filter(code=path.category).first()
    if found is None:
        raise NotFound(_("No such category."))
    actions.set_skill(actor=actor, agent=agent, category=found, level=payload.level, now=now)
    return _agent_out(agent, now=now)


@router.delete("/agents/{username}/skills/{category}", response={204: None, **ERRORS})
@transaction.atomic
def delete_skill(request: HttpRequest, path: Path[AgentSkillPath]) -> Status[Any]:
    """Remove an agent's skill in a category."""
    actor = request_user(request)
    agent = queries.get_agent(path.username, actor=actor)
    found = Category.objects.filter(code=path.category).first()
    if found is None:
        raise NotFound(_("No such category."))
    actions.set_skill(actor=actor, agent=agent, category=found, level=None, now=timezone.now())
    return Status(204, None)


@router.post("/agents/{username}/absences", response={201: AgentOut, **ERRORS})
@transaction.atomic
def create_absence(request: HttpRequest, path: Path[AgentPath], payload: AbsenceIn) -> Status[Any]:
    """Record an absence (leave, training): the agent is not assigned automatically then."""
    actor, now = request_user(request), timezone.now()
    agent = queries.get_agent(path.username, actor=actor)
    actions.add_absence(
        actor=actor, agent=agent, starts_at=payload.starts_at, ends_at=payload.ends_at, reason=payload.reason, now=now
    )
    return Status(201, _agent_out(agent, now=now))


@router.delete("/absences/{absence_id}", response={204: None, **ERRORS})
@transaction.atomic
def delete_absence(request: HttpRequest, absence_id: int) -> Status[Any]:
    """Remove a recorded absence."""
    actor = request_user(request)
    absence = Absence.objects.select_related("agent").filter(pk=absence_id).first()
    if absence is None:
        raise NotFound(_("No such absence."))
    queries.get_agent(absence.agent.username, actor=actor)
    actions.cancel_absence(actor=actor, absence=absence, now=timezone.now())
    return Status(204, None)


@router.post("/agents/{username}/certifications", response={201: AgentOut, **ERRORS})
@transaction.atomic
def create_certification(request: HttpRequest, path: Path[AgentPath], payload: CertificationIn) -> Status[Any]:
    """Record a passed assessment for a team or a category, valid until `expires_on`."""
    actor, now = request_user(request), timezone.now()
    agent = queries.get_agent(path.username, actor=actor)
    actions.certify(
        actor=actor,
        agent=agent,
        team=_team(payload.team, "team"),
        category=_category(payload.category, "category"),
        passed_on=payload.passed_on,
        expires_on=payload.expires_on,
        assessment=payload.assessment,
        now=now,
    )
    return Status(201, _agent_out(agent, now=now))


@router.delete("/certifications/{certification_id}", response={204: None, **ERRORS})
@transaction.atomic
def delete_certification(request: HttpRequest, certification_id: int) -> Status[Any]:
    """Withdraw a certification: the agent then works only with a co-signer."""
    actor = request_user(request)
    certification = Certification.objects.select_related("agent", "team").filter(pk=certification_id).first()
    if certification is None:
        raise NotFound(_("No such certification."))
    queries.get_agent(certification.agent.username, actor=actor)
    actions.revoke_certification(actor=actor, certification=certification, now=timezone.now())
    return Status(204, None)


def _team_out(team: Team, *, now: Any) -> dict[str, Any]:
    board = queries.team_board(team, now=now)
    backup = Team.objects.filter(pk=board.backup_team_id).first() if board.backup_team_id else None
    return {
        "team": team.code,
        "strategy": board.strategy,
        "backup_team": backup.code if backup is not None else None,
        "requires_certification": board.requires_certification,
        "members": [
            {
                "agent": user_ref(row.user),
                "is_lead": row.is_lead,
                "presence": row.presence,
                "capacity": row.capacity,
                "open_count": row.open_count,
                "weighted_load": row.weighted_load,
                "is_working": row.is_working,
                "is_absent_today": row.absence is not None,
                "is_certified": row.is_certified,
            }
            for row in board.rows
        ],
    }


@router.get("/teams/{code}", response={200: TeamOut, **ERRORS})
def get_team(request: HttpRequest, path: Path[WorkforceTeamPath]) -> dict[str, Any]:
    """Return a team's assignment setting and its board: presence, open tickets against capacity, absences today."""
    team = queries.get_team(path.code)
    queries.check_may_view_board(request_user(request), team)
    return _team_out(team, now=timezone.now())


@router.put("/teams/{code}/assignment", response={200: TeamOut, **ERRORS})
@transaction.atomic
def set_team_assignment(
    request: HttpRequest, path: Path[WorkforceTeamPath], payload: TeamAssignmentIn
) -> dict[str, Any]:
    """Set how the team assigns new tickets, its backup group and whether agents need certification.

    The team's leads, managers and administrators; recorded in the configuration audit log.
    """
    actor, now = request_user(request), timezone.now()
    team = queries.get_team(path.code)
    actions.set_team_assignment(
        actor=actor,
        team=team,
        strategy=payload.strategy,
        backup_team=_team(payload.backup_team, "backup_team"),
        requires_certification=payload.requires_certification,
        now=now,
    )
    return _team_out(team, now=now)


@router.get("/teams/{code}/qualifying", response={200: QualifyingPage, **ERRORS})
def list_qualifying(
    request: HttpRequest, path: Path[WorkforceTeamPath], params: Query[QualifyingParams]
) -> dict[str, Any]:
    """Who qualifies for a new ticket of the team now (optionally of a category), as automatic assignment sees it."""
    check_query_parameters(request, QualifyingParams)
    team = queries.get_team(path.code)
    queries.check_may_view_board(request_user(request), team)
    category = _category(params.category, "category")
    candidates = qualifying_agents(
        team.pk, category_id=category.pk if category is not None else None, now=timezone.now(), with_skills=True
    )
    return {
        "items": [
            {
                "agent": user_ref(candidate.user),
                "capacity": candidate.capacity,
                "open_count": candidate.open_count,
                "weighted_load": candidate.weighted_load,
                "skill_level": candidate.skill_level,
            }
            for candidate in candidates
        ]
    }
