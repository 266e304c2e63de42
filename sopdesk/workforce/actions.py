"""Every change of the workforce: presence, profiles, skills, absences, certifications, team strategies.

Configuration changes are recorded in the configuration audit log in their own transaction.
Admins and managers manage everyone; a team lead manages the members and the setting of their
teams; an agent switches their own presence and records their own absences.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.audit.actions import field_values, record_config_change
from sopdesk.audit.choices import Operation
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.core.validation import validate_instance
from sopdesk.lib.text import has_forbidden_name_characters
from sopdesk.sla.models import Calendar
from sopdesk.tickets.models import Category
from sopdesk.workforce.choices import Presence, SkillLevel, Strategy
from sopdesk.workforce.models import Absence, AgentProfile, Certification, RoundRobinCursor, Skill, TeamAssignment

PROFILE_FIELDS = ("capacity", "calendar")
TEAM_FIELDS = ("strategy", "backup_team", "requires_certification")
CERTIFICATION_FIELDS = ("agent", "team", "category", "assessment", "passed_on", "expires_on")
ABSENCE_FIELDS = ("agent", "starts_at", "ends_at", "reason")


def is_workforce_manager(actor: User) -> bool:
    return actor.is_active and (actor.is_superuser or actor.role in (Role.ADMIN, Role.MANAGER))


def led_team_ids(actor: User) -> set[int]:
    return set(TeamMembership.objects.filter(user=actor, is_lead=True).values_list("team_id", flat=True))


def may_manage_team(actor: User, team: Team) -> bool:
    """Admins and managers manage every team; a lead the teams they lead."""
    return is_workforce_manager(actor) or (actor.is_agent_staff and team.pk in led_team_ids(actor))


def may_manage_agent(actor: User, agent: User) -> bool:
    """Admins and managers manage every agent; a lead the members of the teams they lead."""
    if is_workforce_manager(actor):
        return True
    if actor.is_read_only or not actor.is_agent_staff:
        return False
    return TeamMembership.objects.filter(user=agent, team_id__in=led_team_ids(actor)).exists()


def _check_agent(agent: User) -> None:
    if not agent.is_agent_staff:
        raise ActionError(_("Only active staff have a workforce profile."), field="agent")


def _require(allowed: bool, field: str | None = None) -> None:
    if not allowed:
        raise PermissionRefused(_("You may not manage this agent or team."), field=field)


def profile_for(agent: User) -> AgentProfile:
    """Return `agent`'s profile, unsaved with the defaults when they have none yet."""
    return AgentProfile.objects.filter(pk=agent.pk).select_related("calendar").first() or AgentProfile(user=agent)


def set_presence(*, actor: User, presence: str, now: datetime, agent: User | None = None) -> AgentProfile:
    """Switch `agent`'s presence (by default the actor's own); only available agents get tickets automatically."""
    agent = agent or actor
    if presence not in Presence.values:
        raise ActionError(_("Unknown presence."), field="presence")
    _check_agent(agent)
    _require(agent.pk == actor.pk or may_manage_agent(actor, agent), "presence")
    with transaction.atomic():
        profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=agent)
        if profile.presence != presence:
            profile.presence = presence
            profile.presence_changed_at = now
            profile.save(update_fields=["presence", "presence_changed_at"])
    return profile


def update_profile(
    *, actor: User, agent: User, capacity: int, calendar: Calendar | None, now: datetime
) -> AgentProfile:
    """Set `agent`'s capacity (most open tickets automatic assignment gives them) and working calendar."""
    _check_agent(agent)
    _require(may_manage_agent(actor, agent))
    if calendar is not None and not calendar.is_active:
        raise ActionError(_("This calendar is inactive."), field="calendar")
    with transaction.atomic():
        profile, created = AgentProfile.objects.select_for_update().get_or_create(user=agent)
        before = {} if created else field_values(profile, PROFILE_FIELDS)
        profile.capacity = capacity
        profile.calendar = calendar
        validate_instance(profile, fields=["capacity"])
        profile.save(update_fields=["capacity", "calendar"])
        record_config_change(
            profile,
            operation=Operation.CREATED if created else Operation.CHANGED,
            before=before,
            after=field_values(profile, PROFILE_FIELDS),
            actor=actor,
            now=now,
        )
    return profile


def set_skill(*, actor: User, agent: User, category: Category, level: int | None, now: datetime) -> Skill | None:
    """Give `agent` a skill level in `category`, or remove it (`level` None)."""
    _check_agent(agent)
    _require(may_manage_agent(actor, agent))
    if level is not None and level not in SkillLevel.values:
        raise ActionError(_("The level is 1 to 4."), field="level")
    with transaction.atomic():
        skill = Skill.objects.select_for_update().filter(agent=agent, category=category).first()
        if level is None:
            if skill is not None:
                record_config_change(
                    skill,
                    operation=Operation.DELETED,
                    before=field_values(skill, ("agent", "category", "level")),
                    after={},
                    actor=actor,
                    now=now,
                )
                skill.delete()
            return None
        created = skill is None
        before = {} if skill is None else field_values(skill, ("agent", "category", "level"))
        skill = skill or Skill(agent=agent, category=category)
        skill.level = level
        skill.save()
        record_config_change(
            skill,
            operation=Operation.CREATED if created else Operation.CHANGED,
            before=before,
            after=field_values(skill, ("agent", "category", "level")),
            actor=actor,
            now=now,
        )
    return skill


def _check_text(value: str, field: str, *, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length or has_forbidden_name_characters(value):
        raise ActionError(
            _("Must be one line of plain text of at most %(max)d characters.") % {"max": max_length}, field=field
        )
    return value


def add_absence(
    *, actor: User, agent: User, starts_at: datetime, ends_at: datetime, reason: str, now: datetime
) -> Absence:
    """Record that `agent` is away from `starts_at` to `ends_at` (the agent themself, their lead, a manager)."""
    _check_agent(agent)
    _require(agent.pk == actor.pk or may_manage_agent(actor, agent))
    if ends_at <= starts_at:
        raise ActionError(_("The absence must end after it starts."), field="ends_at")
    reason = _check_text(reason, "reason", max_length=200)
    with transaction.atomic():
        absence = Absence.objects.create(agent=agent, starts_at=starts_at, ends_at=ends_at, reason=reason)
        record_config_change(
            absence,
            operation=Operation.CREATED,
            before={},
            after=field_values(absence, ABSENCE_FIELDS),
            actor=actor,
            now=now,
        )
    return absence


def cancel_absence(*, actor: User, absence: Absence, now: datetime) -> None:
    """Remove a recorded absence."""
    _require(absence.agent_id == actor.pk or may_manage_agent(actor, absence.agent))
    with transaction.atomic():
        record_config_change(
            absence,
            operation=Operation.DELETED,
            before=field_values(absence, ABSENCE_FIELDS),
            after={},
            actor=actor,
            now=now,
        )
        absence.delete()


def certify(
    *,
    actor: User,
    agent: User,
    team: Team | None = None,
    category: Category | None = None,
    passed_on: date,
    expires_on: date,
    assessment: str = "",
    now: datetime,
) -> Certification:
    """Record that `agent` passed the assessment for `team` or `category`, valid until `expires_on`."""
    _check_agent(agent)
    if (team is None) == (category is None):
        raise ActionError(_("Certify for either a team or a category."), field="team")
    if team is not None:
        _require(may_manage_team(actor, team), "team")
    else:
        _require(may_manage_agent(actor, agent), "category")
    if expires_on <= passed_on:
        raise ActionError(_("The certification must expire after it was passed."), field="expires_on")
    assessment = _check_text(assessment, "assessment", max_length=200)
    with transaction.atomic():
        certification = Certification.objects.create(
            agent=agent,
            team=team,
            category=category,
            passed_on=passed_on,
            expires_on=expires_on,
            assessment=assessment,
        )
        record_config_change(
            certification,
            operation=Operation.CREATED,
            before={},
            after=field_values(certification, CERTIFICATION_FIELDS),
            actor=actor,
            now=now,
        )
    return certification


def revoke_certification(*, actor: User, certification: Certification, now: datetime) -> None:
    """Withdraw a certification (the agent then works only with a co-signer)."""
    if certification.team is not None:
        _require(may_manage_team(actor, certification.team))
    else:
        _require(may_manage_agent(actor, certification.agent))
    with transaction.atomic():
        record_config_change(
            certification,
            operation=Operation.DELETED,
            before=field_values(certification, CERTIFICATION_FIELDS),
            after={},
            actor=actor,
            now=now,
        )
        certification.delete()


def set_team_assignment(
    *,
    actor: User,
    team: Team,
    strategy: str,
    backup_team: Team | None,
    requires_certification: bool,
    now: datetime,
) -> TeamAssignment:
    """Set how `team` assigns new tickets, its backup group, and whether agents need certification."""
    _require(may_manage_team(actor, team), "team")
    if strategy not in Strategy.values:
        raise ActionError(_("Unknown strategy."), field="strategy")
    if backup_team is not None and (backup_team.pk == team.pk or not backup_team.is_active):
        raise ActionError(_("The backup group must be another active team."), field="backup_team")
    with transaction.atomic():
        setting, created = TeamAssignment.objects.select_for_update().get_or_create(team=team)
        before = {} if created else field_values(setting, TEAM_FIELDS)
        setting.strategy = strategy
        setting.backup_team = backup_team
        setting.requires_certification = requires_certification
        setting.save()  # the post_save signal replaces the configuration stamp (cached.py)
        # The round robin's position exists before the first assignment, so that assignments
        # racing for it lock one row instead of both inserting it.
        RoundRobinCursor.objects.get_or_create(team=team, defaults={"last_assigned_at": now})
        record_config_change(
            setting,
            operation=Operation.CREATED if created else Operation.CHANGED,
            before=before,
            after=field_values(setting, TEAM_FIELDS),
            actor=actor,
            now=now,
        )
    return setting
