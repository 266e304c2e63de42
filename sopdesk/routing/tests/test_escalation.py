"""Tiered escalation: to a team of the next tier with a reason, the SLA clocks continuing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import Team, User
from sopdesk.core.errors import ActionError, PermissionRefused
from sopdesk.notifications.models import Notification
from sopdesk.routing import actions
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.routing.wording import escalated_sentence
from sopdesk.sla.models import TicketSla
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Category, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def ticket(requester: User, agent: User, service_desk: Team) -> Ticket:
    ticket = factories.make_ticket(requester, category="network-vpn", now=NOW)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=NOW)
    return ticket


def test_first_line_escalates_to_second_line_with_the_reason_on_the_timeline(
    ticket: Ticket, agent: User, second_line: Team
) -> None:
    lead = factories.make_user("second-lead", role=Role.TEAM_LEAD, lead_of=[second_line])

    event = actions.escalate_to_next_tier(ticket, actor=agent, reason="Needs a packet capture", now=NOW)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.status) == (second_line, None, Status.NEW)
    assert event.kind == RoutingEventKind.TIER_ESCALATED
    assert event.body == "Needs a packet capture"
    assert escalated_sentence(event.data) == "First line → Second line: Second Line"
    assert Notification.objects.filter(recipient=lead, ticket=ticket).exists()


def test_the_sla_clocks_continue(ticket: Ticket, agent: User, second_line: Team) -> None:
    def clocks() -> tuple:
        sla = TicketSla.objects.get(ticket=ticket)
        return (sla.policy_id, sla.started_at, sla.first_response_due_at, sla.resolution_due_at)

    before = clocks()
    assert before[0] is not None
    assert before[3] is not None

    actions.escalate_to_next_tier(ticket, actor=agent, reason="Beyond first line", now=NOW + timedelta(hours=1))

    assert clocks() == before


def test_the_categorys_specialist_team_is_the_first_choice_in_the_specialist_tier(
    ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    admin = factories.make_user("admin", role=Role.ADMIN)
    factories.make_team("aaa-specialists", tier=TeamTier.SPECIALIST)
    network = factories.make_team("network", tier=TeamTier.SPECIALIST)
    actions.set_specialist_team(Category.objects.get(code="network"), team=network, actor=admin, now=NOW)
    actions.escalate_to_next_tier(ticket, actor=agent, reason="Second line, please", now=NOW)

    actions.escalate_to_next_tier(ticket, actor=engineer, reason="Needs the network team", now=NOW)

    ticket.refresh_from_db()
    assert ticket.team == network


def test_a_chosen_team_must_be_of_the_next_tier(ticket: Ticket, agent: User, second_line: Team) -> None:
    management = factories.make_team("management", tier=TeamTier.MANAGEMENT)

    with pytest.raises(ActionError) as refused:
        actions.escalate_to_next_tier(ticket, actor=agent, reason="Skip a tier", now=NOW, team=management)

    assert refused.value.field == "team"
    ticket.refresh_from_db()
    assert ticket.team.code == "service-desk"  # type: ignore[union-attr]


def test_refusals(ticket: Ticket, agent: User, requester: User, manager: User) -> None:
    with pytest.raises(ActionError) as no_reason:
        actions.escalate_to_next_tier(ticket, actor=agent, reason="  ", now=NOW)
    assert no_reason.value.field == "reason"
    with pytest.raises(PermissionRefused):
        actions.escalate_to_next_tier(ticket, actor=requester, reason="Faster please", now=NOW)
    with pytest.raises(ActionError) as no_team:
        actions.escalate_to_next_tier(ticket, actor=agent, reason="Nobody there", now=NOW)  # no second-line team
    assert no_team.value.field == "team"
    assert not TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.TIER_ESCALATED).exists()


def test_management_is_the_last_tier(ticket: Ticket, manager: User) -> None:
    top = factories.make_team("board", tier=TeamTier.MANAGEMENT)
    assign_ticket(ticket, team=top, assignee=None, actor=manager, now=NOW)

    with pytest.raises(ActionError, match="highest tier"):
        actions.escalate_to_next_tier(ticket, actor=manager, reason="Higher", now=NOW)
