"""HTTP-level tests of the ticket list, create, read and update endpoints, persona by persona."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from conftest import ApiClientFactory
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.search.indexing import index_pending
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket
from sopdesk.tickets.choices import EventKind, Status
from sopdesk.tickets.filters import TicketFilterSet
from sopdesk.tickets.models import Ticket, TicketAccessLog, TicketEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


def numbers_of(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    """A ticket of `requester`, routed to the intake team (the agent's and lead's team)."""
    return factories.make_ticket(requester, title="Printer prints blank pages")


@pytest.fixture
def outsider_ticket(outsider: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(outsider, title="Org B cannot reach the ERP")


# --- GET /api/v1/tickets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_requester_ticket", "sees_outsider_ticket"),
    [
        ("requester", True, False),
        ("outsider", False, True),
        ("agent", True, True),  # both landed in the agent's intake team
        ("team_lead", True, True),
        ("engineer", False, False),  # second line: neither was routed there
        ("manager", True, True),
        ("auditor", True, True),
    ],
)
def test_list_shows_each_persona_only_the_tickets_they_may_see(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    outsider_ticket: Ticket,
    persona: str,
    sees_requester_ticket: bool,
    sees_outsider_ticket: bool,
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(TICKETS)

    expected = {ticket.number} if sees_requester_ticket else set()
    expected |= {outsider_ticket.number} if sees_outsider_ticket else set()
    assert set(numbers_of(response)) == expected
    assert response.json()["count"] == len(expected)


def test_engineer_sees_tickets_routed_to_their_team(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    assign_ticket(ticket, team=second_line, assignee=None, actor=agent, now=datetime.now(tz=UTC))

    assert numbers_of(api_client(engineer).get(TICKETS)) == [ticket.number]


def test_requester_sees_colleagues_tickets_only_where_the_organisation_shares(
    api_client: ApiClientFactory, org_a: Organization, ticket: Ticket
) -> None:
    colleague = factories.make_user("colleague", organization=org_a)
    assert numbers_of(api_client(colleague).get(TICKETS)) == []

    org_a.shares_tickets = True
    org_a.save(update_fields=["shares_tickets"])

    assert numbers_of(api_client(colleague).get(TICKETS)) == [ticket.number]


def test_list_items_have_the_summary_shape(api_client: ApiClientFactory, agent: User, requester: User) -> None:
    factories.make_ticket(requester, category="network-vpn", impact="department", urgency="high")

    item = api_client(agent).get(TICKETS).json()["items"][0]

    assert item["priority"] == "P2"
    assert item["status"] == "new"
    assert item["category"]["code"] == "network-vpn"
    assert item["team"] == {"code": "service-desk", "name": "Service Desk"}
    assert item["requester"]["username"] == "requester"
    assert item["assignee"] is None
    assert "description" not in item


def test_list_filters_by_status_priority_category_team_assignee_requester_and_organisation(
    api_client: ApiClientFactory, requester: User, outsider: User, agent: User, org_b: Organization
) -> None:
    now = datetime.now(tz=UTC)
    vpn = factories.make_ticket(requester, title="VPN", category="network-vpn", urgency="critical")
    printer = factories.make_ticket(requester, title="Printer", category="hardware-printer", urgency="low")
    theirs = factories.make_ticket(outsider, title="Theirs", category="network-wifi")
    assign_ticket(printer, team=None, assignee=agent, actor=agent, now=now)
    client = api_client(agent)

    assert numbers_of(client.get(TICKETS, {"status": "assigned"})) == [printer.number]
    assert set(numbers_of(client.get(TICKETS, {"status": ["new", "assigned"]}))) == {
        vpn.number,
        printer.number,
        theirs.number,
    }
    assert numbers_of(client.get(TICKETS, {"priority": vpn.priority})) == [vpn.number]
    assert set(numbers_of(client.get(TICKETS, {"category": "network"}))) == {vpn.number, theirs.number}
    assert numbers_of(client.get(TICKETS, {"category": "network-wifi"})) == [theirs.number]
    assert len(numbers_of(client.get(TICKETS, {"team": "service-desk"}))) == 3
    assert numbers_of(client.get(TICKETS, {"team": "second-line"})) == []
    assert numbers_of(client.get(TICKETS, {"assignee": "agent"})) == [printer.number]
    assert numbers_of(client.get(TICKETS, {"requester": "outsider"})) == [theirs.number]
    assert numbers_of(client.get(TICKETS, {"organization": org_b.pk})) == [theirs.number]


def test_open_status_filters_and_the_team_filter_give_exact_results(
    api_client: ApiClientFactory, requester: User, agent: User
) -> None:
    now = datetime.now(tz=UTC)
    waiting = factories.make_ticket(requester, title="Waiting")
    assigned = factories.make_ticket(requester, title="Assigned")
    closed = factories.make_ticket(requester, title="Closed")
    assign_ticket(assigned, team=None, assignee=agent, actor=agent, now=now)
    Ticket.objects.filter(pk=waiting.pk).update(status=Status.PENDING_CUSTOMER)
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    client = api_client(agent)
    open_statuses = ["new", "assigned", "in_progress", "pending_customer", "pending_confirmation"]

    assert numbers_of(client.get(TICKETS, {"status": ["new", "assigned"], "team": "service-desk"})) == [assigned.number]
    assert numbers_of(client.get(TICKETS, {"status": open_statuses, "team": "service-desk"})) == [
        assigned.number,
        waiting.number,
    ]
    assert numbers_of(client.get(TICKETS, {"status": ["pending_customer", "closed"]})) == [
        closed.number,
        waiting.number,
    ]
    assert numbers_of(client.get(TICKETS, {"status": open_statuses, "assignee": "agent"})) == [assigned.number]
    assert numbers_of(client.get(TICKETS, {"team": "no-such-team"})) == []


def test_open_tickets_of_a_team_or_an_assignee_can_be_read_from_the_partial_indexes(agent: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL proves the index condition from the status list by itself")
    filters = {"status": ["new", "assigned", "in_progress"], "team": "service-desk"}
    for index, extra in (("ticket_team_open_created", {}), ("ticket_assignee_open_created", {"assignee": "agent"})):
        data = QueryDict(mutable=True)
        for key, value in {**filters, **extra}.items():
            data.setlist(key, value if isinstance(value, list) else [value])
        filterset = TicketFilterSet(data=data, queryset=Ticket.objects.visible_to(agent))
        assert filterset.is_valid()
        query = filterset.qs.filter(**({"assignee": agent} if extra else {})).order_by("-created_at", "-id")[:51]
        sql, params = query.query.sql_with_params()
        # SQLite considers a partial index only when the query's terms, with their bound values,
        # imply its condition; then it reads the rows in the index's order instead of sorting them.
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert index in plan
        assert "TEMP B-TREE" not in plan


def test_list_filters_by_creation_time_and_text(api_client: ApiClientFactory, requester: User, agent: User) -> None:
    old = factories.make_ticket(requester, title="Old monitor flickers", now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    new = factories.make_ticket(
        requester,
        title="邮箱无法登录",
        description="Outlook asks for the password again",
        now=datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
    )
    index_pending()  # the search index, which the job after commit fills outside a test transaction
    client = api_client(agent)

    assert numbers_of(client.get(TICKETS, {"created_after": "2026-02-01T00:00:00Z"})) == [new.number]
    assert numbers_of(client.get(TICKETS, {"created_before": "2026-02-01T00:00:00+08:00"})) == [old.number]
    assert numbers_of(client.get(TICKETS, {"q": "邮箱"})) == [new.number]
    assert numbers_of(client.get(TICKETS, {"q": "OUTLOOK"})) == [new.number]
    assert numbers_of(client.get(TICKETS, {"q": "password outlook"})) == [new.number]  # words, any order
    assert numbers_of(client.get(TICKETS, {"q": old.number})) == [old.number]


def test_list_orders_by_allow_listed_fields(api_client: ApiClientFactory, requester: User, agent: User) -> None:
    base = datetime(2026, 4, 1, tzinfo=UTC)
    first = factories.make_ticket(requester, urgency="low", now=base)
    second = factories.make_ticket(requester, urgency="critical", impact="organization", now=base + timedelta(hours=1))
    third = factories.make_ticket(requester, urgency="medium", now=base + timedelta(hours=2))
    client = api_client(agent)

    assert numbers_of(client.get(TICKETS)) == [third.number, second.number, first.number]  # newest first
    assert numbers_of(client.get(TICKETS, {"ordering": "created_at"})) == [first.number, second.number, third.number]
    assert numbers_of(client.get(TICKETS, {"ordering": "number"})) == [first.number, second.number, third.number]
    assert numbers_of(client.get(TICKETS, {"ordering": "priority"}))[0] == second.number  # P1 first


def test_list_paginates_with_limit_and_offset(api_client: ApiClientFactory, requester: User, agent: User) -> None:
    base = datetime(2026, 4, 1, tzinfo=UTC)
    tickets = [factories.make_ticket(requester, now=base + timedelta(minutes=i)) for i in range(5)]
    client = api_client(agent)

    page = client.get(TICKETS, {"ordering": "created_at", "limit": 2, "offset": 2}).json()

    assert (page["count"], page["count_exact"]) == (5, True)
    assert [item["number"] for item in page["items"]] == [t.number for t in tickets[2:4]]
    assert page["next_cursor"]  # one more row follows
    last = client.get(TICKETS, {"ordering": "created_at", "limit": 2, "offset": 4}).json()
    assert ([item["number"] for item in last["items"]], last["next_cursor"]) == ([tickets[4].number], None)


@pytest.mark.parametrize(
    "ordering", ["-created_at", "created_at", "-updated_at", "updated_at", "priority", "-priority", "number", "-number"]
)
def test_following_cursors_walks_every_ticket_once_in_order(
    api_client: ApiClientFactory, requester: User, agent: User, ordering: str
) -> None:
    """Cursor pages join up to the whole ordered list, also across equal times and priorities."""
    base = datetime(2026, 4, 1, tzinfo=UTC)
    for i in range(11):
        # Three tickets share each creation instant, so ties are decided by the id.
        ticket = factories.make_ticket(requester, now=base + timedelta(minutes=i // 3))
        Ticket.objects.filter(pk=ticket.pk).update(priority=["P1", "P2", "P3", "P4"][i % 4])
    client = api_client(agent)
    everything = numbers_of(client.get(TICKETS, {"ordering": ordering, "limit": 200}))

    walked: list[str] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"ordering": ordering, "limit": 4}
        if cursor:
            query["cursor"] = cursor
        page = client.get(TICKETS, query).json()
        walked += [item["number"] for item in page["items"]]
        assert page["count"] == 11
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(everything) == 11
    assert walked == everything


def test_a_cursor_resumes_after_its_row_even_when_rows_arrive_in_between(
    api_client: ApiClientFactory, requester: User, agent: User
) -> None:
    """Offsets shift when new tickets arrive; a cursor does not repeat or skip a row."""
    for _ in range(4):
        factories.make_ticket(requester)
    client = api_client(agent)
    first = client.get(TICKETS, {"limit": 2}).json()

    factories.make_ticket(requester, title="Arrived while the agent read page one")
    second = client.get(TICKETS, {"limit": 2, "cursor": first["next_cursor"]}).json()

    older = list(Ticket.objects.order_by("-created_at", "-id").values_list("number", flat=True))[1:]
    assert [item["number"] for item in first["items"] + second["items"]] == older


def test_the_count_stops_at_its_bound(
    api_client: ApiClientFactory, requester: User, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sopdesk.core.pagination.COUNT_LIMIT", 3)
    for _ in range(4):
        factories.make_ticket(requester)
    client = api_client(agent)

    more = client.get(TICKETS, {"limit": 2}).json()
    exact = client.get(TICKETS, {"status": "new", "limit": 2, "q": "nothing matches this"}).json()

    assert (more["count"], more["count_exact"], len(more["items"])) == (3, False, 2)
    assert (exact["count"], exact["count_exact"]) == (0, True)


@pytest.mark.parametrize("persona", ["agent", "requester", "manager"])
def test_ticket_list_query_count_does_not_grow_with_rows(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, requester: User, agent: User, persona: str
) -> None:
    client = api_client(request.getfixturevalue(persona))

    def queries_for_listing(total: int) -> int:
        while Ticket.objects.count() < total:
            ticket = factories.make_ticket(requester, category="network-vpn")
            assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=datetime.now(tz=UTC))
        client.get(TICKETS)  # warm up: the token's last-use stamp is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            response = client.get(TICKETS, {"limit": 50})
        assert len(response.json()["items"]) == total
        return len(context.captured_queries)

    few, many = queries_for_listing(3), queries_for_listing(30)

    assert many == few
    # auth, team ids, bounded count, page, one prefetch each for requesters, assignees, teams, categories,
    # then the SLA clocks with their policies and the calendars' revisions
    assert few <= 10


# --- POST /api/v1/tickets -----------------------------------------------------------------


def test_requester_creates_a_ticket_for_themselves(
    api_client: ApiClientFactory, requester: User, service_desk: Team
) -> None:
    response = api_client(requester).post(
        TICKETS,
        {"title": "VPN 连不上", "impact": "department", "urgency": "high", "category": "network-vpn", "tags": ["vpn"]},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TS-")
    assert body["priority"] == "P2"
    assert body["status"] == "new"
    assert body["team"]["code"] == "service-desk"
    assert body["requester"]["username"] == "requester"
    assert body["organization"] == "Org A"
    assert body["tags"] == ["vpn"]
    assert body["contact_email"] == "requester@example.com"
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.created_by == requester
    assert ticket.events.get().kind == EventKind.CREATED


def test_agent_creates_a_ticket_on_behalf_of_a_requester(
    api_client: ApiClientFactory, agent: User, requester: User
) -> None:
    response = api_client(agent).post(
        TICKETS,
        {"title": "Phoned in: ERP error", "requester": "requester", "channel": "phone", "difficulty": 2},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["username"] == "requester"
    assert body["channel"] == "phone"
    assert body["difficulty"] == 2
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.created_by == agent
    assert ticket.events.get().data["on_behalf"] is True


@pytest.mark.parametrize("persona", ["team_lead", "manager"])
def test_other_staff_may_create_on_behalf_too(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, requester: User, persona: str
) -> None:
    response = api_client(request.getfixturevalue(persona)).post(
        TICKETS, {"title": "On behalf", "requester": "requester"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["requester"]["username"] == "requester"


def test_outsider_creates_a_ticket_in_their_own_organisation(api_client: ApiClientFactory, outsider: User) -> None:
    response = api_client(outsider).post(TICKETS, {"title": "Org B problem"}, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["organization"] == "Org B"


def test_requester_cannot_create_for_someone_else(
    api_client: ApiClientFactory, requester: User, outsider: User
) -> None:
    response = api_client(requester).post(
        TICKETS, {"title": "For you", "requester": "outsider"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert fields_of(response) == ["requester"]
    assert not Ticket.objects.exists()


def test_auditor_is_read_only_and_cannot_create(api_client: ApiClientFactory, auditor: User, requester: User) -> None:
    response = api_client(auditor).post(
        TICKETS, {"title": "Audit", "requester": "requester"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("username", ["nobody", "inactive"])
def test_creating_for_an_unknown_or_inactive_requester_is_422(
    api_client: ApiClientFactory, agent: User, username: str
) -> None:
    factories.make_user("inactive")
    User.objects.filter(username="inactive").update(is_active=False)

    response = api_client(agent).post(TICKETS, {"title": "x", "requester": username}, content_type="application/json")

    assert response.status_code == 422
    assert fields_of(response) == ["requester"]


# --- GET /api/v1/tickets/{number} ---------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("requester", 200),
        ("agent", 200),
        ("team_lead", 200),
        ("manager", 200),
        ("auditor", 200),
        ("engineer", 404),
        ("outsider", 404),
    ],
)
def test_read_ticket_per_persona(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, status: int
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{ticket.number}")

    assert response.status_code == status
    if status == 200:
        assert response.json()["number"] == ticket.number
        assert response.json()["description"] == "It started this morning."
    else:
        assert ticket.title not in response.content.decode()


def test_someone_elses_ticket_and_a_missing_ticket_look_the_same(
    api_client: ApiClientFactory, outsider: User, ticket: Ticket
) -> None:
    client = api_client(outsider)

    hidden = client.get(f"{TICKETS}/{ticket.number}")
    missing = client.get(f"{TICKETS}/TS-2000-999999")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_staff_views_are_recorded_in_the_access_log_but_requester_views_are_not(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User, auditor: User
) -> None:
    api_client(requester).get(f"{TICKETS}/{ticket.number}")
    api_client(agent).get(f"{TICKETS}/{ticket.number}")
    api_client(auditor).get(f"{TICKETS}/{ticket.number}")

    logs = TicketAccessLog.objects.filter(ticket=ticket)
    assert sorted(log.user.username for log in logs) == ["agent", "auditor"]
    assert {log.via for log in logs} == {"api"}


@pytest.mark.parametrize(
    ("persona", "transitions"),
    [
        ("requester", []),
        ("auditor", []),
        # Unassigned: "assigned" is not offered, because the action would refuse it.
        ("agent", ["in_progress", "pending_customer", "resolved"]),
    ],
)
def test_allowed_transitions_depend_on_the_caller(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    persona: str,
    transitions: list[str],
) -> None:
    body = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{ticket.number}").json()

    assert body["allowed_transitions"] == transitions


# --- PATCH /api/v1/tickets/{number} -------------------------------------------------------


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager"])
def test_staff_edit_details_and_the_priority_follows_the_matrix(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str
) -> None:
    response = api_client(request.getfixturevalue(persona)).patch(
        f"{TICKETS}/{ticket.number}",
        {"title": "All printers on floor 3 print blank pages", "impact": "organization", "urgency": "critical"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "All printers on floor 3 print blank pages"
    assert body["priority"] == "P1"
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.DETAILS_CHANGED, EventKind.PRIORITY_CHANGED} <= kinds


def test_staff_change_category_and_tags(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = api_client(agent).patch(
        f"{TICKETS}/{ticket.number}",
        {"category": "hardware-printer", "tags": ["floor-3", "printer"]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["category"]["code"] == "hardware-printer"
    assert response.json()["tags"] == ["floor-3", "printer"]


def test_staff_override_priority_with_a_reason_hidden_from_the_requester(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, requester: User
) -> None:
    response = api_client(agent).patch(
        f"{TICKETS}/{ticket.number}",
        {"priority": "P1", "priority_reason": "CEO's printer"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "P1"
    assert response.json()["priority_is_overridden"] is True
    assert response.json()["priority_override_reason"] == "CEO's printer"
    seen_by_requester = api_client(requester).get(f"{TICKETS}/{ticket.number}").json()
    assert seen_by_requester["priority"] == "P1"
    assert seen_by_requester["priority_override_reason"] is None


def test_priority_override_needs_a_reason(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = api_client(agent).patch(
        f"{TICKETS}/{ticket.number}", {"priority": "P1"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert fields_of(response) == ["priority_reason"]
    ticket.refresh_from_db()
    assert ticket.priority_is_overridden is False


def test_empty_patch_changes_nothing(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = api_client(agent).patch(f"{TICKETS}/{ticket.number}", {}, content_type="application/json")

    assert response.status_code == 200
    assert not ticket.events.filter(kind=EventKind.DETAILS_CHANGED).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("requester", 403), ("auditor", 403), ("outsider", 404), ("engineer", 404)],
)
def test_patch_is_refused_for_requesters_read_only_roles_and_strangers(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, status: int
) -> None:
    response = api_client(request.getfixturevalue(persona)).patch(
        f"{TICKETS}/{ticket.number}", {"title": "Hijacked"}, content_type="application/json"
    )

    assert response.status_code == status
    ticket.refresh_from_db()
    assert ticket.title == "Printer prints blank pages"
    assert "Printer prints blank pages" not in response.content.decode()


def test_colleague_in_a_sharing_organisation_can_read_but_not_change(
    api_client: ApiClientFactory, org_a: Organization, ticket: Ticket
) -> None:
    org_a.shares_tickets = True
    org_a.save(update_fields=["shares_tickets"])
    colleague = api_client(factories.make_user("colleague", organization=org_a))

    assert colleague.get(f"{TICKETS}/{ticket.number}").status_code == 200
    comment = colleague.post(f"{TICKETS}/{ticket.number}/comments", {"body": "me too"}, content_type="application/json")
    assert comment.status_code == 403
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY).exists()


def test_ticket_status_is_not_editable_through_patch(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = api_client(agent).patch(
        f"{TICKETS}/{ticket.number}", {"status": "closed"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert fields_of(response) == ["status"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_an_occurrence_time_without_zone_is_read_in_the_service_time_zone(
    api_client: ApiClientFactory, requester: User
) -> None:
    response = api_client(requester).post(
        TICKETS,
        data={"title": "Scanner offline", "occurred_at": "2026-11-20T09:30:00"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.occurred_at is not None
    # test settings keep the default zone, Asia/Shanghai (UTC+8)
    assert ticket.occurred_at.isoformat() == "2026-11-20T01:30:00+00:00"


def test_behind_the_tls_proxy_the_access_log_records_the_address_the_proxy_appended(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, settings: Settings
) -> None:
    settings.BEHIND_TLS_PROXY = True
    # The first entry is whatever the client claimed; the last is the one the proxy appended.
    api_client(agent).get(f"{TICKETS}/{ticket.number}", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")

    assert TicketAccessLog.objects.get(ticket=ticket, user=agent).ip_address == "203.0.113.7"
