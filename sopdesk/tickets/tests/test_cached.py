"""Creation reads its configuration from the per-process cache; every change reaches the next creation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.core import config_cache
from sopdesk.core.models import ConfigStamp
from sopdesk.testing import factories
from sopdesk.tickets.actions import TicketDraft, create_ticket
from sopdesk.tickets.models import Category, PriorityRule, Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CACHED_TABLES = ("tickets_priorityrule", "accounts_team", "sla_slapolicy", "sla_escalationrule", "sla_calendar")


def create(requester: User, *, category: str | None = None, **details: Any) -> Ticket:
    draft = TicketDraft(
        details={"title": "VPN drops every ten minutes", **details},
        category=Category.objects.get(code=category) if category else None,
    )
    return create_ticket(actor=requester, requester=requester, draft=draft, now=NOW)


def test_a_matrix_cell_saved_after_a_creation_applies_to_the_next_one(requester: User) -> None:
    assert create(requester, impact="single_user", urgency="low").priority == "P4"  # fills the cache

    rule = PriorityRule.objects.get(impact="single_user", urgency="low")
    rule.priority = "P2"
    rule.save(update_fields=["priority"])

    assert create(requester, impact="single_user", urgency="low").priority == "P2"


def test_a_new_intake_team_takes_the_next_uncategorised_ticket(requester: User, service_desk: Team) -> None:
    assert create(requester).team == service_desk

    service_desk.is_active = False
    service_desk.save(update_fields=["is_active"])
    night_desk = factories.make_team("night-desk", is_intake=True)

    assert create(requester).team == night_desk


def test_a_change_made_by_another_process_reaches_this_ones_next_creation(requester: User) -> None:
    assert create(requester, impact="single_user", urgency="low").priority == "P4"

    # Another process saved the cell: its signal replaced the shared stamp; this process got no signal.
    PriorityRule.objects.filter(impact="single_user", urgency="low").update(priority="P1")
    ConfigStamp.objects.update_or_create(pk=config_cache.STAMP_KEY, defaults={"token": "from-another-process"})

    assert create(requester, impact="single_user", urgency="low").priority == "P1"


def test_an_unchanged_configuration_is_not_read_again(requester: User, service_desk: Team) -> None:
    create(requester, category="network", impact="single_user", urgency="high")

    with CaptureQueriesContext(connection) as context:
        ticket = create(requester, category="network", impact="single_user", urgency="high")

    read = " ".join(query["sql"] for query in context.captured_queries)
    assert [table for table in CACHED_TABLES if f'"{table}"' in read] == []
    assert ticket.sla.policy is not None


def test_an_agent_creating_a_ticket_through_the_api_takes_fourteen_statements(
    api_client: ApiClientFactory, agent: User, requester: User
) -> None:
    client = api_client(agent)
    payload = {"title": "VPN drops", "category": "network", "requester": requester.username, "impact": "department"}
    assert client.post("/api/v1/tickets", payload, content_type="application/json").status_code == 201  # warm up

    with CaptureQueriesContext(connection) as context:
        response = client.post("/api/v1/tickets", payload, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["sla"]["policy"] is not None
    # Token, requester; the stamp (the category comes from the cached configuration); number, ticket,
    # event, clocks, the search index's note of the new ticket; the requester's acknowledgement
    # (the inbox row and the e-mail: their keys name the event just written, so no lookup of stored
    # keys; the mail templates come from the same cached configuration); the writable check (the
    # agent's teams a subquery of it) and the open collaboration requests (a transition guard) for
    # the allowed transitions; and the savepoint pair into which the test's own transaction turns
    # the action's (outside a test: BEGIN, and COMMIT, which is not a statement).
    statements = [query["sql"] for query in context.captured_queries]
    assert len(statements) == 14, [sql[:80] for sql in statements]
    # The stamp is read before the action's transaction, so it does not hold SQLite's write lock.
    stamp = next(index for index, sql in enumerate(statements) if '"core_configstamp"' in sql)
    assert stamp < next(index for index, sql in enumerate(statements) if sql.startswith("SAVEPOINT"))


def test_a_category_routed_to_another_team_routes_the_next_api_creation_there(
    api_client: ApiClientFactory, agent: User, requester: User
) -> None:
    client = api_client(agent)
    payload = {"title": "VPN drops", "category": "network", "requester": requester.username}
    first = client.post("/api/v1/tickets", payload, content_type="application/json")  # fills the cache
    assert first.status_code == 201
    night_desk = factories.make_team("night-desk")
    category = Category.objects.get(code="network")
    assert category.default_team != night_desk
    category.default_team = night_desk
    category.save(update_fields=["default_team"])

    response = client.post("/api/v1/tickets", payload, content_type="application/json")

    assert response.status_code == 201
    assert Ticket.objects.get(number=response.json()["number"]).team == night_desk
