"""The issue's catalogue of bad input: every case is a 4xx whose JSON names the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.search.indexing import index_pending
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import Priority, Status
from sopdesk.tickets.models import Category, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SHORT_HTML = "<b onmouseover=alert(1)>x</b>"  # fits the 40-character phone field

# Descriptive text fields of a ticket, with a value of HTML that fits each one.
TEXT_FIELDS = {
    "description": HTML,
    "contact_name": HTML,
    "contact_phone": SHORT_HTML,
    "steps_to_reproduce": HTML,
    "error_message": HTML,
    "attempted_measures": HTML,
    "business_module": HTML,
    "device_model": HTML,
    "software_version": HTML,
    "operating_system": HTML,
    "network_environment": HTML,
}


def fields_of(response: Any) -> list[str | None]:
    assert response["Content-Type"].startswith("application/json"), response.content
    return [error["field"] for error in response.json()["errors"]]


def assert_refused(response: Any, field: str, *, status: int = 422) -> None:
    """Assert a 4xx answer of the error format that names `field`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"]
    assert field in fields_of(response), body


def post(client: Any, url: str, payload: Any) -> Any:
    return client.post(url, payload, content_type="application/json")


def patch(client: Any, url: str, payload: Any) -> Any:
    return client.patch(url, payload, content_type="application/json")


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="Printer prints blank pages")


@pytest.fixture
def agent_client(api_client: ApiClientFactory, agent: User) -> Any:
    return api_client(agent)


def snapshot(ticket: Ticket) -> dict[str, Any]:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return {
        "title": fresh.title,
        "status": fresh.status,
        "priority": fresh.priority,
        "assignee": fresh.assignee_id,
        "team": fresh.team_id,
        "updated_at": fresh.updated_at,
        "events": TicketEvent.objects.filter(ticket=fresh).count(),
    }


# --- titles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["", "   ", "\t\n ", "x" * 201, "长" * 201, None, 123, ["a"]],
    ids=["empty", "spaces", "whitespace", "oversized", "oversized-chinese", "null", "number", "list"],
)
def test_bad_title_on_create_is_422_naming_title(agent_client: Any, requester: User, title: Any) -> None:
    assert_refused(post(agent_client, TICKETS, {"title": title, "requester": "requester"}), "title")
    assert not Ticket.objects.exists()


def test_missing_title_is_422_naming_title(agent_client: Any) -> None:
    assert_refused(post(agent_client, TICKETS, {"description": "no title"}), "title")


def test_title_of_exactly_the_maximum_length_is_accepted(agent_client: Any) -> None:
    response = post(agent_client, TICKETS, {"title": "长" * 200})

    assert response.status_code == 201
    assert response.json()["title"] == "长" * 200


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, None], ids=["empty", "spaces", "oversized", "null"])
def test_bad_title_on_patch_is_422_and_changes_nothing(agent_client: Any, ticket: Ticket, title: Any) -> None:
    before = snapshot(ticket)

    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {"title": title}), "title")

    assert snapshot(ticket) == before


# --- categories and enumerations ---------------------------------------------------------


@pytest.mark.parametrize("code", ["no-such-category", "NETWORK", "network vpn", "../hardware"])
def test_unknown_category_is_422_naming_category(agent_client: Any, ticket: Ticket, code: str) -> None:
    assert_refused(post(agent_client, TICKETS, {"title": "x", "category": code}), "category")
    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {"category": code}), "category")


def test_inactive_category_is_422_naming_category(agent_client: Any, ticket: Ticket) -> None:
    category = Category.objects.get(code="network-vpn")
    category.is_active = False
    category.save()  # as the admin does; the per-process configuration sees it

    assert_refused(post(agent_client, TICKETS, {"title": "x", "category": "network-vpn"}), "category")
    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {"category": "network-vpn"}), "category")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "fax"),
        ("channel", "WEB"),
        ("ticket_type", "incident"),
        ("impact", "everyone"),
        ("urgency", "urgent"),
        ("urgency", ""),
        ("frequency", "sometimes"),
        ("difficulty", 9),
        ("difficulty", "hard"),
        ("urgency", None),
    ],
)
def test_unknown_enum_values_are_422_naming_the_field(
    agent_client: Any, ticket: Ticket, field: str, value: Any
) -> None:
    assert_refused(post(agent_client, TICKETS, {"title": "x", field: value}), field)
    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {field: value}), field)
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("value", ["P0", "P5", "p1", "urgent", 1])
def test_unknown_priority_is_422_naming_priority(agent_client: Any, ticket: Ticket, value: Any) -> None:
    response = patch(agent_client, f"{TICKETS}/{ticket.number}", {"priority": value, "priority_reason": "because"})

    assert_refused(response, "priority")


@pytest.mark.parametrize("value", ["done", "CLOSED", "", None, 3])
def test_unknown_status_in_a_transition_is_422_naming_to_status(agent_client: Any, ticket: Ticket, value: Any) -> None:
    assert_refused(post(agent_client, f"{TICKETS}/{ticket.number}/transitions", {"to_status": value}), "to_status")


@pytest.mark.parametrize(("name", "value"), [("status", "done"), ("priority", "P9"), ("channel", "fax")])
def test_unknown_enum_values_in_filters_are_422_naming_the_filter(agent_client: Any, name: str, value: str) -> None:
    response = agent_client.get(TICKETS, {name: ["new" if name == "status" else value, value]})

    assert response.status_code == 422
    assert any(field and field.split(".")[0] == name for field in fields_of(response))


# --- HTML and script in every text field ---------------------------------------------------


def test_html_in_every_text_field_on_create_is_stored_and_returned_verbatim(agent_client: Any, requester: User) -> None:
    payload = {"title": HTML, "requester": "requester", "tags": [SHORT_HTML], **TEXT_FIELDS}

    response = post(agent_client, TICKETS, payload)

    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    for field, value in {"title": HTML, **TEXT_FIELDS}.items():
        assert body[field] == value, field
        assert getattr(ticket, field) == value, field
    assert body["tags"] == [SHORT_HTML]
    listed = agent_client.get(TICKETS).json()["items"][0]
    assert listed["title"] == HTML


def test_html_in_every_text_field_on_patch_is_stored_verbatim(agent_client: Any, ticket: Ticket) -> None:
    response = patch(agent_client, f"{TICKETS}/{ticket.number}", {"title": HTML, **TEXT_FIELDS})

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    for field, value in {"title": HTML, **TEXT_FIELDS}.items():
        assert getattr(ticket, field) == value, field


def test_html_in_comments_reasons_notes_and_closure_is_stored_verbatim(
    api_client: ApiClientFactory, agent_client: Any, ticket: Ticket, requester: User
) -> None:
    url = f"{TICKETS}/{ticket.number}"
    closure = {"problem": HTML, "diagnosis": HTML, "solution": HTML, "effect": HTML, "recommendations": HTML}

    responses = [
        post(api_client(requester), f"{url}/comments", {"body": HTML}),
        post(agent_client, f"{url}/comments", {"body": HTML, "is_internal": True}),
        post(agent_client, f"{url}/assign", {"assignee": "agent", "note": HTML}),
        patch(agent_client, url, {"priority": "P1", "priority_reason": HTML}),
        post(agent_client, f"{url}/transitions", {"to_status": "resolved", "closure": closure}),
        post(api_client(requester), f"{url}/transitions", {"to_status": "in_progress", "reason": HTML}),
    ]

    assert [r.status_code for r in responses] == [201, 201, 200, 200, 200, 200]
    ticket.refresh_from_db()
    assert ticket.priority_override_reason == HTML
    assert ticket.closure_problem == ticket.closure_solution == ticket.closure_recommendations == HTML
    bodies = [event["body"] for event in agent_client.get(f"{url}/events").json()["items"]]
    assert bodies.count(HTML) == 5  # reply, note, assignment note, priority reason, reopen reason


# --- NUL bytes and control characters ------------------------------------------------------

CONTROL_VALUES = ["a\x00b", "\x00", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85c1"]


@pytest.mark.parametrize("field", ["title", *TEXT_FIELDS])
@pytest.mark.parametrize("value", CONTROL_VALUES[:3])
def test_control_characters_in_ticket_text_are_422_naming_the_field(
    agent_client: Any, ticket: Ticket, field: str, value: str
) -> None:
    before = snapshot(ticket)

    assert_refused(
        post(agent_client, TICKETS, {"title": "ok", field: value} if field != "title" else {field: value}), field
    )
    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {field: value}), field)

    assert Ticket.objects.count() == 1
    assert snapshot(ticket) == before


def test_newlines_and_tabs_are_allowed_in_long_text(agent_client: Any) -> None:
    response = post(agent_client, TICKETS, {"title": "ok", "description": "line 1\r\nline 2\n\tindented"})

    assert response.status_code == 201
    assert response.json()["description"] == "line 1\r\nline 2\n\tindented"


@pytest.mark.parametrize("value", CONTROL_VALUES)
def test_control_characters_in_other_bodies_are_422_naming_the_field(
    api_client: ApiClientFactory, agent_client: Any, ticket: Ticket, requester: User, value: str
) -> None:
    url = f"{TICKETS}/{ticket.number}"
    before = snapshot(ticket)
    closure = {"problem": "p", "diagnosis": "d", "solution": value}

    assert_refused(post(agent_client, f"{url}/comments", {"body": value}), "body")
    assert_refused(post(agent_client, f"{url}/assign", {"assignee": "agent", "note": value}), "note")
    assert_refused(post(agent_client, f"{url}/transitions", {"to_status": "in_progress", "reason": value}), "reason")
    assert_refused(
        post(agent_client, f"{url}/transitions", {"to_status": "resolved", "closure": closure}), "closure.solution"
    )
    assert_refused(patch(agent_client, url, {"priority": "P1", "priority_reason": value}), "priority_reason")
    assert_refused(patch(agent_client, url, {"tags": [value]}), "tags")
    assert_refused(post(agent_client, TICKETS, {"title": "ok", "tags": ["fine", value]}), "tags")

    assert snapshot(ticket) == before


@pytest.mark.parametrize("value", ["x\x00", "\x00", "a\x1fb"])
def test_control_characters_in_identifiers_are_422_naming_the_field(
    agent_client: Any, ticket: Ticket, value: str
) -> None:
    """PostgreSQL cannot compare with NUL: such lookups must fail as input errors, not as a 500."""
    url = f"{TICKETS}/{ticket.number}"

    assert_refused(post(agent_client, TICKETS, {"title": "ok", "category": value}), "category")
    assert_refused(post(agent_client, TICKETS, {"title": "ok", "requester": value}), "requester")
    assert_refused(patch(agent_client, url, {"category": value}), "category")
    assert_refused(post(agent_client, f"{url}/assign", {"team": value}), "team")
    assert_refused(post(agent_client, f"{url}/assign", {"assignee": value}), "assignee")


@pytest.mark.parametrize("number", ["TS-2026-000001%00", "%00", "TS%1B[31m", "%7F"])
@pytest.mark.parametrize("suffix", ["", "/events", "/attachments", "/attachments/1"])
def test_control_characters_in_the_ticket_number_are_404(agent_client: Any, number: str, suffix: str) -> None:
    response = agent_client.get(f"{TICKETS}/{number}{suffix}")

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["q", "team", "assignee", "requester", "category"])
@pytest.mark.parametrize("value", ["a\x00b", "\x00", "\x1b[2J"])
def test_control_characters_in_query_parameters_are_422_naming_the_parameter(
    agent_client: Any, name: str, value: str
) -> None:
    assert_refused(agent_client.get(TICKETS, {name: value}), name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ordering", "number\x00"),
        ("status", "new\x00"),
        ("created_after", "2026-01-01\x00"),
        ("organization", "1\x00"),
        ("limit", "10\x00"),
    ],
)
def test_nul_in_typed_query_parameters_is_422_naming_the_parameter(agent_client: Any, name: str, value: str) -> None:
    response = agent_client.get(TICKETS, {name: value})

    assert response.status_code == 422
    assert any(field and field.split(".")[0] == name for field in fields_of(response))


def test_lone_surrogate_in_json_is_422_naming_the_field(agent_client: Any) -> None:
    response = agent_client.post(TICKETS, '{"title": "broken \\ud800 text"}', content_type="application/json")

    assert_refused(response, "title")


# --- filter parameters as arrays, objects and SQL ----------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "team=a&team=b",
        "q=printer&q=vpn",
        "ordering=number&ordering=-number",
        "assignee=agent&assignee=lead",
        "limit=1&limit=2",
        "organization=1&organization=2",
    ],
)
def test_single_valued_filters_given_as_arrays_are_422_naming_the_filter(agent_client: Any, query: str) -> None:
    name = query.split("=")[0]

    assert_refused(agent_client.get(f"{TICKETS}?{query}"), name)


def test_repeatable_filters_accept_arrays(agent_client: Any, ticket: Ticket) -> None:
    response = agent_client.get(f"{TICKETS}?status=new&status=assigned&priority=P3&priority=P4")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "key", ["status[x]", "team[$ne]", "q[]", "requester[username]", "ordering.0", "bogus", "limit[]"]
)
def test_filters_given_as_objects_or_unknown_names_are_422_naming_them(
    agent_client: Any, ticket: Ticket, key: str
) -> None:
    assert_refused(agent_client.get(TICKETS, {key: "1"}), key)


def test_unknown_parameters_of_the_timeline_are_422(agent_client: Any, ticket: Ticket) -> None:
    url = f"{TICKETS}/{ticket.number}/events"

    assert_refused(agent_client.get(url, {"kind[x]": "1"}), "kind[x]")
    assert_refused(agent_client.get(f"{url}?limit=1&limit=2"), "limit")


@pytest.mark.parametrize("fragment", ["' OR 1=1 --", "%' OR '1'='1", "1; DROP TABLE tickets_ticket; --", '" OR ""="'])
def test_sql_fragments_in_text_filters_are_plain_text(
    api_client: ApiClientFactory, requester: User, outsider: User, ticket: Ticket, fragment: str
) -> None:
    """Free text is searched literally: the answer is 200, matching nothing the caller may not see."""
    factories.make_ticket(outsider, title=f"Outsider's secret {fragment}")
    client = api_client(requester)

    for name in ("q", "team", "assignee", "requester", "category"):
        response = client.get(TICKETS, {name: fragment})
        assert response.status_code == 200, (name, response.content)
        assert response.json() == {"count": 0, "count_exact": True, "next_cursor": None, "items": []}
    assert Ticket.objects.count() == 2


def test_sql_fragment_in_the_text_filter_finds_a_literal_match(agent_client: Any, requester: User) -> None:
    literal = factories.make_ticket(requester, title="Error: ' OR 1=1 -- in the login form")
    factories.make_ticket(requester, title="Unrelated")
    index_pending()

    response = agent_client.get(TICKETS, {"q": "' OR 1=1 --"})

    assert [item["number"] for item in response.json()["items"]] == [literal.number]


@pytest.mark.parametrize(
    "ordering",
    [
        "id; DROP TABLE tickets_ticket",
        "id",
        "title",
        "requester__password",
        "-requester__password",
        "created_at,number",
        "?",
    ],
)
def test_unknown_or_hostile_ordering_is_422_naming_ordering(agent_client: Any, ticket: Ticket, ordering: str) -> None:
    assert_refused(agent_client.get(TICKETS, {"ordering": ordering}), "ordering")
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("organization", "1 OR 1=1"), ("organization", "1; DROP TABLE x"), ("created_after", "' OR 1=1 --")],
)
def test_sql_fragments_in_typed_filters_are_422(agent_client: Any, name: str, value: str) -> None:
    assert_refused(agent_client.get(TICKETS, {name: value}), name)


# --- huge and negative numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", 10**30),
        ("limit", 201),
        ("limit", 0),
        ("limit", -1),
        ("limit", "1e3"),
        ("offset", 10**30),
        ("offset", 2**63),
        ("offset", -1),
        ("offset", "NaN"),
        ("offset", 10_001),
        ("organization", 10**30),
        ("organization", 0),
        ("created_after", "99999-01-01T00:00:00Z"),
        ("created_after", "0001-01-01T00:00:00+14:00"),
        ("created_before", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_huge_or_negative_list_parameters_are_422_naming_them(agent_client: Any, name: str, value: Any) -> None:
    assert_refused(agent_client.get(TICKETS, {name: value}), name)


@pytest.mark.parametrize(("name", "value"), [("limit", 10**30), ("limit", 0), ("offset", 10**30), ("offset", -5)])
def test_huge_or_negative_timeline_parameters_are_422_naming_them(
    agent_client: Any, ticket: Ticket, name: str, value: int
) -> None:
    assert_refused(agent_client.get(f"{TICKETS}/{ticket.number}/events", {name: value}), name)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1800-01-01T00:00:00Z"])
def test_out_of_range_occurred_at_is_422_naming_it(agent_client: Any, ticket: Ticket, value: str) -> None:
    assert_refused(post(agent_client, TICKETS, {"title": "x", "occurred_at": value}), "occurred_at")
    assert_refused(patch(agent_client, f"{TICKETS}/{ticket.number}", {"occurred_at": value}), "occurred_at")


def test_page_offset_at_the_bound_is_an_empty_page(agent_client: Any, ticket: Ticket) -> None:
    response = agent_client.get(TICKETS, {"offset": 10_000, "limit": 200})

    assert response.status_code == 200
    assert response.json() == {"count": 1, "count_exact": True, "next_cursor": None, "items": []}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "W10",  # [] in base64
        "WyItY3JlYXRlZF9hdCIsWyJ4IiwiMSJdXQ",  # ["-created_at",["x","1"]]: not a time
        "WyJudW1iZXIiLFsiVFMtMSJdXQ",  # ["number",["TS-1"]]: another ordering's cursor
        "WyItY3JlYXRlZF9hdCIsWzEsMl1d",  # ["-created_at",[1,2]]: not strings
        "WyItY3JlYXRlZF9hdCIsWyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIl1d",  # one value short
        "x" * 1001,
    ],
)
def test_malformed_or_foreign_cursor_is_422_naming_cursor(agent_client: Any, ticket: Ticket, cursor: str) -> None:
    assert_refused(agent_client.get(TICKETS, {"cursor": cursor}), "cursor")


def test_cursor_and_offset_together_are_422_naming_offset(agent_client: Any, requester: User) -> None:
    for _ in range(3):
        factories.make_ticket(requester)
    cursor = agent_client.get(TICKETS, {"limit": 1}).json()["next_cursor"]

    assert_refused(agent_client.get(TICKETS, {"cursor": cursor, "offset": 1}), "offset")


# --- someone else's ticket -----------------------------------------------------------------


def per_ticket_requests(ticket: Ticket, attachment_id: int) -> list[tuple[str, str, Any]]:
    url = f"{TICKETS}/{ticket.number}"
    return [
        ("get", url, None),
        ("patch", url, {"title": "Mine now"}),
        ("post", f"{url}/transitions", {"to_status": "in_progress"}),
        ("post", f"{url}/comments", {"body": "Hello?"}),
        ("post", f"{url}/assign", {"assignee": "agent"}),
        ("get", f"{url}/events", None),
        ("get", f"{url}/attachments", None),
        ("post", f"{url}/attachments", "upload"),
        ("get", f"{url}/attachments/{attachment_id}", None),
    ]


def send(client: Any, method: str, url: str, payload: Any) -> Any:
    if payload == "upload":
        return client.post(url, {"file": SimpleUploadedFile("x.txt", b"mine", content_type="text/plain")})
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, payload, content_type="application/json")


@pytest.mark.parametrize("endpoint", range(9))
def test_outsider_gets_404_and_no_data_on_every_per_ticket_endpoint(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, outsider: User, endpoint: int
) -> None:
    attachment = actions.add_attachment(
        ticket,
        actor=requester,
        upload=SimpleUploadedFile("secret.txt", b"top secret", content_type="text/plain"),
        is_internal=False,
        now=timezone.now(),
    )
    before = snapshot(ticket)
    method, url, payload = per_ticket_requests(ticket, attachment.pk)[endpoint]

    response = send(api_client(outsider), method, url, payload)

    assert response.status_code == 404, (method, url, response.status_code)
    content = response.content.decode()
    for secret in ("Printer prints blank pages", "secret", "requester", "top secret"):
        assert secret not in content
    assert snapshot(ticket) == before


def test_outsider_cannot_tell_a_hidden_ticket_from_a_missing_one(
    api_client: ApiClientFactory, ticket: Ticket, outsider: User
) -> None:
    client = api_client(outsider)
    missing = Ticket(number="TS-1999-000001")
    for index in range(9):
        hidden = send(client, *per_ticket_requests(ticket, 1)[index])
        absent = send(client, *per_ticket_requests(missing, 1)[index])
        assert (hidden.status_code, hidden.content) == (absent.status_code, absent.content)


# --- requesters setting what only staff may set -------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "resolved"),
        ("priority", "P1"),
        ("assignee", "agent"),
        ("team", "service-desk"),
        ("number", "TS-2026-999999"),
        ("organization", "Org B"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("priority_is_overridden", True),
    ],
)
def test_requester_cannot_set_staff_fields_on_create(
    api_client: ApiClientFactory, requester: User, agent: User, field: str, value: Any
) -> None:
    response = post(api_client(requester), TICKETS, {"title": "Mine", field: value})

    assert_refused(response, field)
    assert not Ticket.objects.exists()


def test_requester_cannot_set_the_difficulty_on_create(api_client: ApiClientFactory, requester: User) -> None:
    response = post(api_client(requester), TICKETS, {"title": "Mine", "difficulty": 4})

    assert_refused(response, "difficulty", status=403)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"priority": "P1", "priority_reason": "I am important"}, "priority", 403),
        ({"priority": "P1"}, "priority", 403),
        ({"status": "closed"}, "status", 422),
        ({"assignee": "agent"}, "assignee", 422),
        ({"team": "service-desk"}, "team", 422),
        ({"urgency": "critical"}, "urgency", 403),
        ({"difficulty": 1}, "difficulty", 403),
    ],
)
def test_requester_cannot_change_staff_fields_with_patch(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, payload: dict[str, Any], field: str, status: int
) -> None:
    before = snapshot(ticket)

    response = patch(api_client(requester), f"{TICKETS}/{ticket.number}", payload)

    assert_refused(response, field, status=status)
    assert snapshot(ticket) == before


@pytest.mark.parametrize("payload", [{"assignee": "agent"}, {"team": "service-desk", "assignee": "agent"}])
def test_requester_cannot_assign(
    api_client: ApiClientFactory, ticket: Ticket, requester: User, agent: User, payload: dict[str, Any]
) -> None:
    before = snapshot(ticket)

    assert_refused(post(api_client(requester), f"{TICKETS}/{ticket.number}/assign", payload), "assignee", status=403)

    assert snapshot(ticket) == before
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert Ticket.objects.get(pk=ticket.pk).priority != Priority.P1


# --- unknown fields and malformed bodies ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "payload", "field"),
    [
        ("post", "", {"title": "x", "colour": "red"}, "colour"),
        ("patch", "/{n}", {"title": "x", "is_vip": True}, "is_vip"),
        ("post", "/{n}/transitions", {"to_status": "in_progress", "force": True}, "force"),
        (
            "post",
            "/{n}/transitions",
            {"to_status": "resolved", "closure": {"problem": "p", "cause": "c"}},
            "closure.cause",
        ),
        ("post", "/{n}/comments", {"body": "hi", "notify": False}, "notify"),
        ("post", "/{n}/assign", {"assignee": "agent", "priority": "P1"}, "priority"),
    ],
)
def test_unknown_fields_in_bodies_are_422_naming_them(
    agent_client: Any, ticket: Ticket, method: str, suffix: str, payload: dict[str, Any], field: str
) -> None:
    before = snapshot(ticket)
    url = TICKETS + suffix.replace("{n}", ticket.number)

    assert_refused(getattr(agent_client, method)(url, payload, content_type="application/json"), field)

    assert snapshot(ticket) == before
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "tags": "not-a-list"}, "tags"),
        ({"title": "x", "tags": [f"tag-{i}" for i in range(21)]}, "tags"),
        ({"title": "x", "tags": [{"name": "x"}]}, "tags.0"),
        ({"title": "x", "occurred_at": "yesterday"}, "occurred_at"),
        ({"title": "x", "contact_email": "not-an-address"}, "contact_email"),
        ({"title": "x", "description": "x" * 20_001}, "description"),
    ],
)
def test_wrongly_typed_values_are_422_naming_the_field(agent_client: Any, payload: dict[str, Any], field: str) -> None:
    assert_refused(post(agent_client, TICKETS, payload), field)


def test_comment_type_errors_name_the_field(agent_client: Any, ticket: Ticket) -> None:
    url = f"{TICKETS}/{ticket.number}/comments"

    assert_refused(post(agent_client, url, {"body": "hi", "is_internal": "maybe"}), "is_internal")
    assert_refused(post(agent_client, url, {"body": "   "}), "body")
    assert_refused(post(agent_client, url, {"body": "x" * 20_001}), "body")


@pytest.mark.parametrize("raw", ["{", "not json", '{"title": "x",}', "\x00"])
def test_malformed_json_is_400(agent_client: Any, raw: str) -> None:
    response = agent_client.post(TICKETS, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '"title"', "42", "null"])
def test_json_that_is_not_an_object_is_422(agent_client: Any, raw: str) -> None:
    response = agent_client.post(TICKETS, raw, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"]
    assert not Ticket.objects.exists()
