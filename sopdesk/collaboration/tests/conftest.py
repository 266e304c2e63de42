from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.collaboration.actions import request_collaboration
from sopdesk.collaboration.choices import WayOfWorking
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket


@pytest.fixture
def second_line_lead(second_line: Team) -> User:
    return factories.make_user("second-lead", role=Role.TEAM_LEAD, lead_of=[second_line])


@pytest.fixture
def ticket(requester: User, agent: User) -> Ticket:
    return factories.make_ticket(requester)


def ask(
    ticket: Ticket, actor: User, team: Team, *, now: datetime, deadline: timedelta = timedelta(days=3)
) -> CollaborationRequest:
    return request_collaboration(
        ticket,
        actor=actor,
        to_team=team,
        needed="Check the switch port on floor 3.",
        deliverable="Port status and a fix",
        deadline_at=now + deadline,
        way_of_working=WayOfWorking.HAND_OVER,
        now=now,
    )
