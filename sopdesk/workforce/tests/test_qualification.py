"""Certification: uncertified or expired agents hold tickets only with a certified co-signer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket
from sopdesk.tickets.models import Category, TicketEvent
from sopdesk.workforce.models import Certification
from sopdesk.workforce.qualification import is_certified, qualifying_agents
from sopdesk.workforce.tests.conftest import certify, make_agent


@pytest.fixture
def trainee(service_desk: Team) -> User:
    return make_agent("trainee", service_desk, certified=False)


def test_an_uncertified_agent_cannot_take_a_ticket_alone(
    requester: User, trainee: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("manual")
    ticket = factories.make_ticket(requester)

    with pytest.raises(ActionError) as refused:
        assign_ticket(ticket, team=None, assignee=trainee, actor=trainee, now=timezone.now())

    assert refused.value.field == "cosigner"
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_certified_colleague_co_signs_and_is_recorded_on_the_timeline(
    requester: User, trainee: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("manual")
    ticket = factories.make_ticket(requester)

    event = assign_ticket(
        ticket, team=None, assignee=trainee, actor=trainee, cosigner=desk_agents[0], now=timezone.now()
    )

    assert ticket.assignee == trainee
    assert TicketEvent.objects.get(pk=event.pk).data["cosigner"] == desk_agents[0].pk


def test_a_co_signer_must_be_certified_and_in_the_team(
    requester: User, trainee: User, service_desk: Team, engineer: User, strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("manual")
    other_trainee = make_agent("newbie", service_desk, certified=False)
    ticket = factories.make_ticket(requester)

    for cosigner, message in [(other_trainee, "not certified"), (engineer, "member"), (trainee, "other than")]:
        with pytest.raises(ActionError, match=message):
            assign_ticket(ticket, team=None, assignee=trainee, actor=trainee, cosigner=cosigner, now=timezone.now())


def test_an_expired_certification_counts_as_none(requester: User, trainee: User, service_desk: Team, strategy) -> None:  # type: ignore[no-untyped-def]
    strategy("manual")
    certify(trainee, service_desk, expires_on=timezone.localdate() - timedelta(days=1))
    ticket = factories.make_ticket(requester)

    with pytest.raises(ActionError):
        assign_ticket(ticket, team=None, assignee=trainee, actor=trainee, now=timezone.now())


def test_a_certification_for_a_parent_category_covers_its_subcategories(
    trainee: User, service_desk: Team, strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("round_robin")
    parent = Category.objects.create(code="wf-hardware", name="Hardware")
    child = Category.objects.create(code="wf-printer", name="Printers", parent=parent)
    Certification.objects.create(
        agent=trainee, category=parent, passed_on=date(2020, 1, 1), expires_on=date(2099, 1, 1)
    )
    now = timezone.now()

    assert is_certified(trainee, team_id=service_desk.pk, category_id=child.pk, now=now)
    assert not is_certified(trainee, team_id=service_desk.pk, category_id=None, now=now)
    assert [c.user_id for c in qualifying_agents(service_desk.pk, category_id=child.pk, now=now)] == [trainee.pk]
    assert qualifying_agents(service_desk.pk, category_id=None, now=now) == []


def test_teams_that_do_not_require_certification_let_anyone_take_tickets(
    requester: User, trainee: User, strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("manual", requires_certification=False)
    ticket = factories.make_ticket(requester)

    assign_ticket(ticket, team=None, assignee=trainee, actor=trainee, now=timezone.now())

    assert ticket.assignee == trainee


def test_a_co_signer_is_refused_without_an_assignee(requester: User, desk_agents: list[User], agent: User) -> None:
    ticket = factories.make_ticket(requester)

    with pytest.raises(ActionError) as refused:
        assign_ticket(ticket, team=None, assignee=None, actor=agent, cosigner=desk_agents[0], now=timezone.now())

    assert refused.value.field == "cosigner"
