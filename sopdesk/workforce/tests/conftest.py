"""Workforce fixtures: the service desk assigning automatically, with three certified agents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.workforce import actions
from sopdesk.workforce.models import AgentProfile, Certification


def certify(user: User, team: Team, *, expires_on: date | None = None) -> Certification:
    return Certification.objects.create(
        agent=user,
        team=team,
        passed_on=date(2020, 1, 1),
        expires_on=expires_on or timezone.localdate() + timedelta(days=365),
    )


def make_agent(username: str, team: Team, *, capacity: int = 5, certified: bool = True) -> User:
    user = factories.make_user(username, role=Role.AGENT, teams=[team])
    AgentProfile.objects.create(user=user, capacity=capacity)
    if certified:
        certify(user, team)
    return user


@pytest.fixture
def desk_agents(service_desk: Team) -> list[User]:
    return [make_agent(name, service_desk) for name in ("ann", "bob", "cai")]


@pytest.fixture
def strategy(service_desk: Team, manager: User):  # type: ignore[no-untyped-def]
    """Set the service desk's strategy: `strategy("least_loaded", backup_team=...)`."""

    def set_strategy(name: str, *, backup_team: Team | None = None, requires_certification: bool = True) -> None:
        actions.set_team_assignment(
            actor=manager,
            team=service_desk,
            strategy=name,
            backup_team=backup_team,
            requires_certification=requires_certification,
            now=timezone.now(),
        )

    return set_strategy
