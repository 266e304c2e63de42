"""HTTP-level tests of transitions, comments, assignment and the timeline, persona by persona."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import EventKind, Status
from sopdesk.tickets.models import Ticket, TicketAccessLog, TicketEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
CLOSURE = {"problem": "Toner empty", "diagnosis": "Counter at 0 %", "solution": "Replaced the cartridge"}


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


def now() -> datetime:
    return datetime.now(tz=UTC)


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="Printer prints blank pages")


def post(client: Any, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, payload, content_type="application/json")


def move(ticket: Ticket, agent: User, *statuses: Status, at: datetime | None = None) -> None:
    """Walk `ticket` through `statuses` as `agent` (resolving with a closure summary)."""
    for status in statuses:
        closure = actions.ClosureSummary(**CLOSURE) if status == Status.RESOLVED else None
        actions.change_status(ticket, to_status=status, actor=agent, now=at or now(), closure=closure)


# --- POST /api/v1/tickets/{number}/transitions ------------------------------------------


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager"])
def test_staff_move_a_ticket_along_the_lifecycle(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str
) -> None:
    client = api_client(request.getfixturevalue(persona))
    url = f"{TICKETS}/{ticket.number}/transitions"

    started = post(client, url, {"to_status": "in_progress"})
    resolved = post(client, url, {"to_status": "resolved", "closure": CLOSURE})

    assert started.status_code == 200, started.content
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["closure"]["solution"] == "Replaced the cartridge"
    assert body["allowed_transitions"] == ["in_progress", "closed"]
    assert list(
        ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("id").values_list("data__to", flat=True)
    ) == ["in_progress", "resolved"]


def test_invalid_transition_is_409_naming_to_status(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "closed"})

    assert response.status_code == 409
    assert fields_of(response) == ["to_status"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_transition_to_the_current_status_is_409(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "new"})

    assert response.status_code == 409
    assert fields_of(response) == ["to_status"]


def test_assigned_status_needs_an_assignee(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "assigned"})

    assert response.status_code == 409
    assert fields_of(response) == ["to_status"]


def test_resolving_without_a_closure_summary_is_422(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "resolved"})

    assert response.status_code == 422
    assert fields_of(response) == ["closure"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


@pytest.mark.parametrize("missing", ["problem", "diagnosis", "solution"])
def test_resolving_with_an_incomplete_closure_summary_names_the_missing_part(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, missing: str
) -> None:
    closure = {**CLOSURE, missing: "   "}

    response = post(
        api_client(agent), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "resolved", "closure": closure}
    )

    assert response.status_code == 422
    assert fields_of(response) == [f"closure.{missing}"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.closure_problem == ""


def test_requester_may_not_work_the_ticket(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = post(api_client(requester), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "in_progress"})

    assert response.status_code == 403
    assert fields_of(response) == ["to_status"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_requester_closes_a_resolved_ticket(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User
) -> None:
    move(ticket, agent, Status.RESOLVED)

    response = post(api_client(requester), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "closed"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None


def test_requester_reopens_a_resolved_ticket_with_a_reason(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User
) -> None:
    move(ticket, agent, Status.RESOLVED)
    url = f"{TICKETS}/{ticket.number}/transitions"
    client = api_client(requester)

    without_reason = post(client, url, {"to_status": "in_progress"})
    with_reason = post(client, url, {"to_status": "in_progress", "reason": "Still prints blank pages"})

    assert without_reason.status_code == 422
    assert fields_of(without_reason) == ["reason"]
    assert with_reason.status_code == 200, with_reason.content
    assert with_reason.json()["status"] == "in_progress"
    assert with_reason.json()["reopened_count"] == 1
    assert ticket.events.filter(kind=EventKind.REOPENED).count() == 1


def test_closed_ticket_cannot_be_reopened_after_the_window(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User
) -> None:
    long_ago = now() - timedelta(days=30)
    move(ticket, agent, Status.RESOLVED, Status.CLOSED, at=long_ago)

    response = post(
        api_client(requester), f"{TICKETS}/{ticket.number}/transitions", {"to_status": "in_progress", "reason": "x"}
    )

    assert response.status_code == 409
    assert fields_of(response) == ["to_status"]


@pytest.mark.parametrize(("persona", "status"), [("auditor", 403), ("outsider", 404), ("engineer", 404)])
def test_transitions_are_refused_for_read_only_roles_and_strangers(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, status: int
) -> None:
    response = post(
        api_client(request.getfixturevalue(persona)),
        f"{TICKETS}/{ticket.number}/transitions",
        {"to_status": "in_progress"},
    )

    assert response.status_code == status
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


# --- POST /api/v1/tickets/{number}/comments ----------------------------------------------


def test_requester_replies_publicly(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = post(api_client(requester), f"{TICKETS}/{ticket.number}/comments", {"body": "Still broken."})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "public_reply"
    assert body["is_internal"] is False
    assert body["actor"]["username"] == "requester"
    assert body["body"] == "Still broken."


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager"])
@pytest.mark.parametrize("is_internal", [False, True])
def test_staff_reply_and_write_internal_notes(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, is_internal: bool
) -> None:
    response = post(
        api_client(request.getfixturevalue(persona)),
        f"{TICKETS}/{ticket.number}/comments",
        {"body": "Looking into it", "is_internal": is_internal},
    )

    assert response.status_code == 201, response.content
    assert response.json()["kind"] == ("internal_note" if is_internal else "public_reply")
    assert response.json()["is_internal"] is is_internal


def test_requester_reply_ends_the_wait_for_the_customer(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User
) -> None:
    move(ticket, agent, Status.PENDING_CUSTOMER)

    post(api_client(requester), f"{TICKETS}/{ticket.number}/comments", {"body": "Here is the log."})

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_first_public_staff_reply_is_the_first_response(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    client = api_client(agent)

    note = post(client, f"{TICKETS}/{ticket.number}/comments", {"body": "Checking the queue", "is_internal": True})
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    reply = post(client, f"{TICKETS}/{ticket.number}/comments", {"body": "We are on it."})

    assert note.status_code == reply.status_code == 201
    assert note.json()["kind"] == "internal_note"
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_requester_cannot_write_internal_notes(api_client: ApiClientFactory, ticket: Ticket, requester: User) -> None:
    response = post(api_client(requester), f"{TICKETS}/{ticket.number}/comments", {"body": "psst", "is_internal": True})

    assert response.status_code == 403
    assert fields_of(response) == ["is_internal"]
    assert not ticket.events.filter(kind=EventKind.INTERNAL_NOTE).exists()


@pytest.mark.parametrize(("persona", "status"), [("auditor", 403), ("outsider", 404), ("engineer", 404)])
def test_comments_are_refused_for_read_only_roles_and_strangers(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, persona: str, status: int
) -> None:
    response = post(
        api_client(request.getfixturevalue(persona)), f"{TICKETS}/{ticket.number}/comments", {"body": "Hello"}
    )

    assert response.status_code == status
    assert not ticket.events.filter(kind=EventKind.PUBLIC_REPLY).exists()


# --- POST /api/v1/tickets/{number}/assign ------------------------------------------------


def test_agent_takes_a_ticket(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/assign", {"assignee": "agent"})

    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["username"] == "agent"
    assert response.json()["status"] == "assigned"
    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1


@pytest.mark.parametrize("persona", ["team_lead", "manager"])
def test_lead_and_manager_route_a_ticket_to_second_line(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, engineer: User, persona: str
) -> None:
    response = post(
        api_client(request.getfixturevalue(persona)),
        f"{TICKETS}/{ticket.number}/assign",
        {"team": "second-line", "assignee": "engineer", "note": "Needs a driver fix"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["team"]["code"] == "second-line"
    assert response.json()["assignee"]["username"] == "engineer"
    assert api_client(engineer).get(f"{TICKETS}/{ticket.number}").status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"assignee": "engineer"}, "assignee"),  # not a member of the ticket's team
        ({"assignee": "requester"}, "assignee"),  # not staff
        ({"assignee": "nobody"}, "assignee"),
        ({"team": "no-such-team"}, "team"),
        ({}, "assignee"),  # nothing would change
    ],
)
def test_bad_assignments_are_422_naming_the_field(
    api_client: ApiClientFactory, ticket: Ticket, agent: User, engineer: User, payload: dict[str, Any], field: str
) -> None:
    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/assign", payload)

    assert response.status_code == 422
    assert fields_of(response) == [field]
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_resolved_ticket_cannot_be_reassigned(api_client: ApiClientFactory, ticket: Ticket, agent: User) -> None:
    move(ticket, agent, Status.RESOLVED)

    response = post(api_client(agent), f"{TICKETS}/{ticket.number}/assign", {"assignee": "agent"})

    assert response.status_code == 422
    assert fields_of(response) == ["assignee"]


@pytest.mark.parametrize(
    ("persona", "status"), [("requester", 403), ("auditor", 403), ("outsider", 404), ("engineer", 404)]
)
def test_assignment_is_refused_for_requesters_read_only_roles_and_strangers(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, ticket: Ticket, agent: User, persona: str, status: int
) -> None:
    response = post(
        api_client(request.getfixturevalue(persona)), f"{TICKETS}/{ticket.number}/assign", {"assignee": "agent"}
    )

    assert response.status_code == status
    if status == 403:
        assert response.json()["errors"][0]["field"] in {"assignee", None}
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.status == Status.NEW


# --- GET /api/v1/tickets/{number}/events -------------------------------------------------


@pytest.fixture
def busy_ticket(ticket: Ticket, requester: User, agent: User) -> Ticket:
    """A ticket with public and internal events."""
    actions.add_comment(ticket, actor=agent, body="Internal: driver bug?", is_internal=True, now=now())
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now())
    actions.add_comment(ticket, actor=agent, body="Please restart the printer.", is_internal=False, now=now())
    actions.add_comment(ticket, actor=requester, body="Did not help.", is_internal=False, now=now())
    return ticket


def kinds(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["kind"] for event in response.json()["items"]]


def test_requester_sees_only_public_events(api_client: ApiClientFactory, busy_ticket: Ticket, requester: User) -> None:
    response = api_client(requester).get(f"{TICKETS}/{busy_ticket.number}/events")

    assert kinds(response) == ["created", "status_changed", "public_reply", "public_reply"]
    assert all(event["is_internal"] is False for event in response.json()["items"])
    assert "driver bug" not in response.content.decode()


@pytest.mark.parametrize("persona", ["agent", "team_lead", "manager", "auditor"])
def test_staff_see_the_whole_timeline(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, busy_ticket: Ticket, persona: str
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{busy_ticket.number}/events")

    assert kinds(response) == [
        "created",
        "internal_note",
        "assigned",
        "status_changed",
        "public_reply",
        "public_reply",
    ]
    assert response.json()["count"] == 6


@pytest.mark.parametrize("persona", ["outsider", "engineer"])
def test_strangers_get_404_for_the_timeline(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, busy_ticket: Ticket, persona: str
) -> None:
    response = api_client(request.getfixturevalue(persona)).get(f"{TICKETS}/{busy_ticket.number}/events")

    assert response.status_code == 404
    assert "restart" not in response.content.decode()


def test_timeline_paginates(api_client: ApiClientFactory, busy_ticket: Ticket, agent: User) -> None:
    page = api_client(agent).get(f"{TICKETS}/{busy_ticket.number}/events", {"limit": 2, "offset": 1}).json()

    assert page["count"] == 6
    assert [event["kind"] for event in page["items"]] == ["internal_note", "assigned"]


def test_reading_the_timeline_is_an_audited_staff_view(
    api_client: ApiClientFactory, ticket: Ticket, agent: User
) -> None:
    api_client(agent).get(f"{TICKETS}/{ticket.number}/events")

    assert TicketAccessLog.objects.filter(ticket=ticket, user=agent).count() == 1


@pytest.mark.parametrize("persona", ["agent", "requester"])
def test_event_list_query_count_does_not_grow_with_rows(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    ticket: Ticket,
    requester: User,
    agent: User,
    team_lead: User,
    persona: str,
) -> None:
    client = api_client(request.getfixturevalue(persona))
    url = f"{TICKETS}/{ticket.number}/events"
    authors = [requester, agent, team_lead]

    def queries_for_timeline(total: int) -> int:
        while TicketEvent.objects.filter(ticket=ticket).count() < total:
            author = authors[TicketEvent.objects.count() % len(authors)]
            actions.add_comment(ticket, actor=author, body="More detail", is_internal=False, now=now())
        client.get(url)  # warm up: the token's last-use stamp is written at most once a minute
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, {"limit": 100})
        assert response.json()["count"] == total
        return len(context.captured_queries)

    few, many = queries_for_timeline(3), queries_for_timeline(30)

    assert many == few
