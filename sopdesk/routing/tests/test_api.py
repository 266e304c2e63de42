"""The routing API: rules and specialist teams (admins change, managers read), escalation, error mapping."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.routing.models import CategorySpecialist, RoutingRule
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

RULES = "/api/v1/routing/rules"


@pytest.fixture
def admin(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def network(db: None) -> Team:
    return factories.make_team("network", tier=TeamTier.SPECIALIST)


def test_an_admin_creates_lists_changes_and_deletes_a_rule(
    api_client: ApiClientFactory, admin: User, manager: User, network: Team
) -> None:
    client = api_client(admin)
    created = client.post(
        RULES,
        {"position": 3, "name": "VPN to network", "team": "network", "category": "network", "priority": "P2"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert created.json()["channel"] is None

    listed = api_client(manager).get(RULES).json()
    assert [item["name"] for item in listed["items"]] == ["VPN to network"]

    changed = client.patch(
        f"{RULES}/{rule_id}", {"priority": None, "keywords": "vpn, 断网"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["priority"], changed.json()["keywords"]) == (None, "vpn, 断网")
    assert RoutingRule.objects.get(pk=rule_id).priority == ""

    assert client.delete(f"{RULES}/{rule_id}").status_code == 204
    assert client.get(f"{RULES}/{rule_id}").status_code == 404
    assert ConfigChange.objects.filter(object_type="routing.routingrule").count() == 3


def test_refusals_map_to_their_status_codes(
    api_client: ApiClientFactory, admin: User, manager: User, agent: User, network: Team
) -> None:
    payload = {"position": 1, "name": "x", "team": "network"}
    assert api_client(manager).post(RULES, payload, content_type="application/json").status_code == 403
    assert api_client(agent).get(RULES).status_code == 403

    unknown = api_client(admin).post(
        RULES, {**payload, "team": "nope", "category": "nope"}, content_type="application/json"
    )
    assert unknown.status_code == 422
    assert {error["field"] for error in unknown.json()["errors"]} >= {"team", "category"}
    bad = api_client(admin).post(RULES, {**payload, "priority": "P9"}, content_type="application/json")
    assert bad.status_code == 422


def test_specialist_teams(api_client: ApiClientFactory, admin: User, network: Team) -> None:
    client = api_client(admin)
    answer = client.put("/api/v1/routing/specialists/network", {"team": "network"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert client.get("/api/v1/routing/specialists").json() == [{"category": "network", "team": "network"}]
    assert (
        client.put("/api/v1/routing/specialists/nope", {"team": "network"}, content_type="application/json").status_code
        == 404
    )
    assert client.delete("/api/v1/routing/specialists/network").status_code == 204
    assert not CategorySpecialist.objects.exists()


def test_an_agent_escalates_a_ticket_to_the_next_tier(
    api_client: ApiClientFactory, agent: User, engineer: User, requester: User, second_line: Team
) -> None:
    ticket = factories.make_ticket(requester)
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.number}/escalations", {"reason": "Needs diagnosis"}, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["team"] == "second-line"
    assert (response.json()["from_tier"], response.json()["to_tier"]) == ("first_line", "second_line")
    ticket.refresh_from_db()
    assert ticket.team == second_line
    # The ticket is now the second line's: their engineer reads it.
    events = api_client(engineer).get(f"/api/v1/tickets/{ticket.number}/events").json()["items"]
    assert RoutingEventKind.TIER_ESCALATED in [event["kind"] for event in events]


def test_escalation_refusals(
    api_client: ApiClientFactory, agent: User, requester: User, outsider: User, second_line: Team
) -> None:
    ticket = factories.make_ticket(requester)
    url = f"/api/v1/tickets/{ticket.number}/escalations"
    assert api_client(requester).post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    assert api_client(outsider).post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    missing = api_client(agent).post(url, {"reason": ""}, content_type="application/json")
    assert missing.status_code == 422
    wrong = api_client(agent).post(url, {"reason": "x", "team": "service-desk"}, content_type="application/json")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "team"
    assert not TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.TIER_ESCALATED).exists()


def test_a_routed_api_creation_takes_as_many_statements_as_an_unrouted_one(
    api_client: ApiClientFactory, admin: User, agent: User, requester: User, network: Team
) -> None:
    # The administrator may change the ticket wherever it is routed: the allowed moves cost the same.
    client = api_client(admin)
    payload = {"title": "VPN drops", "category": "network", "requester": requester.username, "impact": "department"}

    def statements() -> int:
        assert client.post("/api/v1/tickets", payload, content_type="application/json").status_code == 201  # warm up
        with CaptureQueriesContext(connection) as context:
            response = client.post("/api/v1/tickets", payload, content_type="application/json")
        assert response.status_code == 201
        return len(context.captured_queries)

    unrouted = statements()
    api_client(admin).post(
        RULES, {"position": 1, "name": "VPN", "team": "network", "category": "network"}, content_type="application/json"
    )
    routed = statements()

    # The rules come from the per-process cache and the explanation shares the creation entry's INSERT.
    assert routed == unrouted
    newest = Ticket.objects.order_by("-pk").first()
    assert newest is not None
    assert newest.team == network
    assert TicketEvent.objects.filter(ticket=newest, kind=RoutingEventKind.ROUTED).count() == 1
