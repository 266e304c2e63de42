"""GET /api/v1/sla/breaches: a team's open tickets whose clocks ran out or passed their warning share."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.sla.scanner import sweep
from sopdesk.sla.tests.conftest import FrozenClock, beijing
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_comment, assign_ticket, change_status
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

BREACHES = "/api/v1/sla/breaches"
# A P3 ticket: assignment due 15 business minutes after it opens, warning at 75 % (11 min 15 s).
P3 = {"impact": "single_user", "urgency": "high"}


def open_ticket(requester: User, clock: FrozenClock, hour: int, minute: int, title: str) -> Ticket:
    clock.move_to(beijing(2026, 1, 5, hour, minute))
    return factories.make_ticket(requester, title=title, now=timezone.now(), **P3)


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


@pytest.fixture
def late_tickets(requester: User, service_desk: Team, clock: FrozenClock) -> list[Ticket]:
    """Three tickets whose assignment clock ran out (oldest first) and one in warning, at 09:42 on a Monday."""
    tickets = [
        open_ticket(requester, clock, 9, 0, "A"),
        open_ticket(requester, clock, 9, 5, "B"),
        open_ticket(requester, clock, 9, 10, "C"),
        open_ticket(requester, clock, 9, 30, "D"),
    ]
    clock.move_to(beijing(2026, 1, 5, 9, 42))
    sweep(now=timezone.now())
    return tickets


def test_team_members_see_breached_tickets_most_overdue_first(
    api_client: ApiClientFactory, agent: User, late_tickets: list[Ticket]
) -> None:
    a, b, c, d = late_tickets
    client = api_client(agent)

    breached = client.get(BREACHES, {"team": "service-desk", "state": "breached"})
    warning = client.get(BREACHES, {"team": "service-desk", "state": "warning"})
    everything = client.get(BREACHES, {"team": "service-desk"})

    assert numbers(breached) == [a.number, b.number, c.number]
    assert numbers(warning) == [d.number]
    assert numbers(everything) == [a.number, b.number, c.number, d.number]
    assert everything.json()["count"] == 4


def test_each_row_carries_the_ticket_and_its_clocks(
    api_client: ApiClientFactory, agent: User, late_tickets: list[Ticket]
) -> None:
    items = api_client(agent).get(BREACHES, {"team": "service-desk"}).json()["items"]

    first, last = items[0], items[-1]
    assert first["team"]["code"] == "service-desk"
    assert first["sla"]["state"] == "breached"
    assignment = next(clock for clock in first["sla"]["clocks"] if clock["metric"] == "assignment")
    assert assignment["state"] == "breached"
    assert assignment["remaining_seconds"] == -27 * 60
    assert last["sla"]["state"] == "warning"


def test_tickets_with_met_clocks_and_tickets_of_other_teams_are_not_listed(
    api_client: ApiClientFactory,
    agent: User,
    engineer: User,
    second_line: Team,
    late_tickets: list[Ticket],
) -> None:
    a, b, c, d = late_tickets
    assign_ticket(a, team=None, assignee=agent, actor=agent, now=timezone.now())
    assign_ticket(b, team=second_line, assignee=None, actor=agent, now=timezone.now())

    listed = numbers(api_client(agent).get(BREACHES, {"team": "service-desk"}))

    assert listed == [c.number, d.number]


def test_a_ticket_waiting_for_the_customer_is_not_listed_while_its_late_clock_is_paused(
    api_client: ApiClientFactory, requester: User, agent: User, service_desk: Team, clock: FrozenClock
) -> None:
    ticket = open_ticket(requester, clock, 9, 0, "Waiting")
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=timezone.now())
    add_comment(ticket, actor=agent, body="Looking into it.", is_internal=False, now=timezone.now())
    # The 450-minute resolution target ran out at 18:00 on Monday.
    clock.move_to(beijing(2026, 1, 6, 10, 0))
    sweep(now=timezone.now())  # records the breach: the clock row now says breached
    client = api_client(agent)
    assert numbers(client.get(BREACHES, {"team": "service-desk"})) == [ticket.number]

    change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=timezone.now())

    assert numbers(client.get(BREACHES, {"team": "service-desk"})) == []


def test_staff_see_only_the_tickets_of_the_team_they_may_see(
    api_client: ApiClientFactory, engineer: User, manager: User, auditor: User, late_tickets: list[Ticket]
) -> None:
    assert numbers(api_client(engineer).get(BREACHES, {"team": "service-desk"})) == []
    assert len(numbers(api_client(manager).get(BREACHES, {"team": "service-desk"}))) == 4
    assert len(numbers(api_client(auditor).get(BREACHES, {"team": "service-desk"}))) == 4


def test_an_agent_sees_tickets_of_another_team_assigned_to_them(
    api_client: ApiClientFactory, agent: User, engineer: User, second_line: Team, late_tickets: list[Ticket]
) -> None:
    a = late_tickets[0]
    assign_ticket(a, team=second_line, assignee=None, actor=agent, now=timezone.now())

    assert numbers(api_client(engineer).get(BREACHES, {"team": "second-line"})) == [a.number]
    assert numbers(api_client(agent).get(BREACHES, {"team": "second-line"})) == []


@pytest.mark.parametrize("persona", ["requester", "outsider"])
def test_requesters_are_refused(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, persona: str, late_tickets: list[Ticket]
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(BREACHES, {"team": "service-desk"})

    assert response.status_code == 403
    assert response.json()["detail"]


def test_anonymous_callers_get_401() -> None:
    assert Client().get(BREACHES, {"team": "service-desk"}).status_code == 401


def test_an_unknown_team_is_404_naming_the_team(api_client: ApiClientFactory, agent: User) -> None:
    response = api_client(agent).get(BREACHES, {"team": "nope"})

    assert response.status_code == 404
    assert [error["field"] for error in response.json()["errors"]] == ["team"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "team"),
        ("team=service-desk&state=late", "state"),
        ("team=service-desk&state=breached&state=warning", "state"),
        ("team=service-desk&team=second-line", "team"),
        ("team=" + "x" * 51, "team"),
        ("team=service-desk%00", "team"),
        ("team=service-desk&limit=0", "limit"),
        ("team=service-desk&limit=201", "limit"),
        ("team=service-desk&limit=ten", "limit"),
        ("team=service-desk&offset=-1", "offset"),
        ("team=service-desk&offset=99999999999999999999", "offset"),
        ("team=service-desk&ordering=number", "ordering"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(
    api_client: ApiClientFactory, agent: User, query: str, field: str
) -> None:
    response = api_client(agent).get(f"{BREACHES}?{query}")

    assert response.status_code == 422, response.content
    assert field in [error["field"] for error in response.json()["errors"]]


def test_pagination_counts_every_row(api_client: ApiClientFactory, agent: User, late_tickets: list[Ticket]) -> None:
    page = api_client(agent).get(BREACHES, {"team": "service-desk", "limit": 2, "offset": 1}).json()

    assert page["count"] == 4
    assert [item["number"] for item in page["items"]] == [late_tickets[1].number, late_tickets[2].number]


@pytest.mark.parametrize("persona", ["agent", "manager"])
def test_breach_list_query_count_does_not_grow_with_rows(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    requester: User,
    service_desk: Team,
    clock: FrozenClock,
    persona: str,
) -> None:
    client = api_client(request.getfixturevalue(persona))

    def queries_for(total: int) -> int:
        while Ticket.objects.count() < total:
            open_ticket(requester, clock, 9, 0, "Late")
        clock.move_to(beijing(2026, 1, 5, 10, 0))
        client.get(BREACHES, {"team": "service-desk"})  # warm up: token stamp and calendar cache
        with CaptureQueriesContext(connection) as context:
            response = client.get(BREACHES, {"team": "service-desk", "limit": 50})
        assert len(response.json()["items"]) == total
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)
