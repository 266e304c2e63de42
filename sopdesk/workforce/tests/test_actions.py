"""Workforce configuration: who may change what, and every change in the configuration audit log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.tickets.models import Category
from sopdesk.workforce import actions
from sopdesk.workforce.cached import team_rule
from sopdesk.workforce.choices import Presence, Strategy
from sopdesk.workforce.models import AgentProfile, Certification, Skill


def test_a_team_setting_is_audited_and_reaches_the_cache(manager: User, service_desk: Team, second_line: Team) -> None:
    now = timezone.now()
    assert team_rule(service_desk.pk) is None

    actions.set_team_assignment(
        actor=manager,
        team=service_desk,
        strategy="least_loaded",
        backup_team=second_line,
        requires_certification=True,
        now=now,
    )

    rule = team_rule(service_desk.pk)
    assert rule is not None
    assert (rule.strategy, rule.backup_team_id) == (Strategy.LEAST_LOADED, second_line.pk)
    change = ConfigChange.objects.get(object_type="workforce.teamassignment")
    assert (change.after["strategy"], change.actor) == ("least_loaded", manager)


def test_a_lead_sets_the_strategy_of_their_own_team_only(
    team_lead: User, agent: User, service_desk: Team, second_line: Team
) -> None:
    now = timezone.now()
    actions.set_team_assignment(
        actor=team_lead,
        team=service_desk,
        strategy="round_robin",
        backup_team=None,
        requires_certification=False,
        now=now,
    )

    for actor, team in [(team_lead, second_line), (agent, service_desk)]:
        with pytest.raises(PermissionRefused):
            actions.set_team_assignment(
                actor=actor,
                team=team,
                strategy="round_robin",
                backup_team=None,
                requires_certification=False,
                now=now,
            )


def test_the_backup_group_must_be_another_team(manager: User, service_desk: Team) -> None:
    with pytest.raises(ActionError) as refused:
        actions.set_team_assignment(
            actor=manager,
            team=service_desk,
            strategy="round_robin",
            backup_team=service_desk,
            requires_certification=True,
            now=timezone.now(),
        )
    assert refused.value.field == "backup_team"


def test_agents_switch_their_own_presence_but_not_a_colleagues(agent: User, engineer: User, team_lead: User) -> None:
    now = timezone.now()
    actions.set_presence(actor=agent, presence=Presence.AWAY, now=now)
    assert AgentProfile.objects.get(user=agent).presence == Presence.AWAY

    with pytest.raises(PermissionRefused):
        actions.set_presence(actor=engineer, agent=agent, presence=Presence.OFFLINE, now=now)
    actions.set_presence(actor=team_lead, agent=agent, presence=Presence.OFFLINE, now=now)
    assert AgentProfile.objects.get(user=agent).presence == Presence.OFFLINE


def test_requesters_have_no_presence(requester: User) -> None:
    with pytest.raises(ActionError):
        actions.set_presence(actor=requester, presence=Presence.AWAY, now=timezone.now())


def test_profile_skill_absence_and_certification_changes_are_audited(
    manager: User, agent: User, service_desk: Team
) -> None:
    now = timezone.now()
    network = Category.objects.get(code="network")

    actions.update_profile(actor=manager, agent=agent, capacity=7, calendar=None, now=now)
    actions.set_skill(actor=manager, agent=agent, category=network, level=3, now=now)
    absence = actions.add_absence(
        actor=agent, agent=agent, starts_at=now, ends_at=now + timedelta(days=2), reason="Annual leave", now=now
    )
    certification = actions.certify(
        actor=manager, agent=agent, team=service_desk, passed_on=date(2026, 1, 5), expires_on=date(2027, 1, 5), now=now
    )
    actions.set_skill(actor=manager, agent=agent, category=network, level=None, now=now)
    actions.cancel_absence(actor=agent, absence=absence, now=now)
    actions.revoke_certification(actor=manager, certification=certification, now=now)

    assert AgentProfile.objects.get(user=agent).capacity == 7
    assert not Skill.objects.exists()
    assert not Certification.objects.exists()
    logged = list(ConfigChange.objects.order_by("pk").values_list("object_type", "operation"))
    assert logged == [
        ("workforce.agentprofile", "created"),
        ("workforce.skill", "created"),
        ("workforce.absence", "created"),
        ("workforce.certification", "created"),
        ("workforce.skill", "deleted"),
        ("workforce.absence", "deleted"),
        ("workforce.certification", "deleted"),
    ]


def test_bad_values_are_refused_with_their_field(manager: User, agent: User, service_desk: Team) -> None:
    now = timezone.now()
    cases = [
        (lambda: actions.update_profile(actor=manager, agent=agent, capacity=0, calendar=None, now=now), "capacity"),
        (
            lambda: actions.add_absence(actor=agent, agent=agent, starts_at=now, ends_at=now, reason="", now=now),
            "ends_at",
        ),
        (
            lambda: actions.certify(
                actor=manager,
                agent=agent,
                team=service_desk,
                passed_on=date(2026, 1, 5),
                expires_on=date(2026, 1, 5),
                now=now,
            ),
            "expires_on",
        ),
        (
            lambda: actions.certify(
                actor=manager, agent=agent, passed_on=date(2026, 1, 5), expires_on=date(2027, 1, 5), now=now
            ),
            "team",
        ),
    ]
    for call, field in cases:
        with pytest.raises(ActionError) as refused:
            call()
        assert refused.value.field == field or field in str(refused.value), field
