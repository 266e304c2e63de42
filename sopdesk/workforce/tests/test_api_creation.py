"""What automatic assignment costs an API creation (issue 8: creation stays fast)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import User


def _statements(api_client: ApiClientFactory, agent: User, requester: User) -> list[str]:
    client = api_client(agent)
    payload = {"title": "VPN drops", "category": "network", "requester": requester.username, "impact": "department"}
    assert client.post("/api/v1/tickets", payload, content_type="application/json").status_code == 201  # warm up
    with CaptureQueriesContext(connection) as context:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")
    assert response.status_code == 201
    return [query["sql"] for query in context.captured_queries]


def test_a_team_without_a_strategy_costs_a_creation_nothing(
    api_client: ApiClientFactory, agent: User, requester: User
) -> None:
    statements = _statements(api_client, agent, requester)

    # tickets/tests/test_cached.py lists the 14 (one is the search index's note of the ticket).
    assert len(statements) == 14, [sql[:80] for sql in statements]
    assert not any("workforce_" in sql for sql in statements)


def test_an_automatic_assignment_costs_a_creation_a_bounded_number_of_statements(
    api_client: ApiClientFactory, agent: User, requester: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("least_loaded")

    statements = _statements(api_client, agent, requester)

    # The 14 of an unassigned creation, plus: the qualifying agents (their rows locked) and their
    # open tickets; the ticket's update and its three timeline entries in one insert (assigned,
    # new → assigned, the explanation); what any assignment costs its followers: the assignment
    # clock (savepoint, row, calendar, update, release), the auto-close schedule, the search index's
    # note (the assignee is a visibility key), and the assignee's notification (inbox row and
    # e-mail; its keys name the new event, so no lookup).
    assert len(statements) == 27, [sql[:80] for sql in statements]
    assert sum('"workforce_' in sql for sql in statements) == 1


def test_the_timeline_api_lists_the_assignment_explanation(
    api_client: ApiClientFactory, agent: User, requester: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("round_robin")
    client = api_client(agent)
    payload = {"title": "VPN drops", "requester": requester.username}
    number = client.post("/api/v1/tickets", payload, content_type="application/json").json()["number"]

    response = client.get(f"/api/v1/tickets/{number}/events")

    assert response.status_code == 200
    explained = [item for item in response.json()["items"] if item["kind"] == "auto_assigned"]
    assert explained[0]["data"]["assignee"] == desk_agents[0].pk
    assert explained[0]["data"]["strategy"] == "round_robin"
