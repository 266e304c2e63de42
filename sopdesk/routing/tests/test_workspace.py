"""The workspace ticket page: the routing sentence on the timeline and the "Escalate to next tier" form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import Team, User
from sopdesk.routing import actions
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.testing import factories
from sopdesk.tickets.models import Category, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_timeline_explains_the_routing(requester: User, agent: User, service_desk: Team) -> None:
    admin = factories.make_user("admin", role=Role.ADMIN)
    category = Category.objects.get(code="network")
    actions.create_rule(
        actor=admin, values={"position": 3, "name": "VPN", "team": service_desk, "category": category}, now=NOW
    )
    ticket = factories.make_ticket(requester, category="network-vpn")

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "Routed to Service Desk by rule 3 (VPN): category network" in html


def test_an_agent_escalates_from_the_ticket_page(
    requester: User, agent: User, service_desk: Team, second_line: Team
) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert "Escalate to next tier" in page
    assert 'value="second-line"' in page

    response = client.post(
        f"/desk/tickets/{ticket.number}/escalate/",
        {"version": ticket.version, "team": "second-line", "reason": "Needs a packet capture"},
    )

    # The ticket left the agent's team, so they land on their queue with the confirmation.
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert "Escalated to Second Line." in client.get(response["Location"]).content.decode()
    ticket.refresh_from_db()
    assert ticket.team == second_line
    assert TicketEvent.objects.get(ticket=ticket, kind=RoutingEventKind.TIER_ESCALATED).body == "Needs a packet capture"


def test_a_refused_escalation_shows_the_reason_next_to_the_form(
    requester: User, agent: User, service_desk: Team, second_line: Team
) -> None:
    ticket = factories.make_ticket(requester)
    factories.make_team("board", tier=TeamTier.MANAGEMENT)

    response = client_for(agent).post(
        f"/desk/tickets/{ticket.number}/escalate/", {"version": ticket.version, "team": "board", "reason": "Skip"}
    )

    assert response.status_code == 422
    assert "Choose a team of the next tier." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.team == service_desk


def test_without_a_next_tier_team_the_form_is_not_offered(requester: User, agent: User, service_desk: Team) -> None:
    ticket = factories.make_ticket(requester)

    assert "Escalate to next tier" not in client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()
