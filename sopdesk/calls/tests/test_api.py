"""HTTP-level tests of the phone-call endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.calls.models import PhoneCall
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def call(**changes: Any) -> dict[str, Any]:
    ring = datetime.now(tz=UTC) - timedelta(minutes=10)
    payload: dict[str, Any] = {
        "caller_number": "010-6552 9988",
        "caller_name": "Zhang Min",
        "ring_at": ring.isoformat(),
        "answered_at": (ring + timedelta(seconds=8)).isoformat(),
        "ended_at": (ring + timedelta(minutes=3)).isoformat(),
        "notes": "Printer jams on every page.",
    }
    payload.update(changes)
    return payload


def post(client: Any, url: str, payload: dict[str, Any]) -> Any:
    return client.post(url, payload, content_type="application/json")


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester)


def test_an_agent_logs_a_call_on_a_ticket_and_lists_the_calls(
    api_client: ApiClientFactory, agent: User, ticket: Ticket
) -> None:
    client = api_client(agent)
    created = post(client, f"/api/v1/tickets/{ticket.number}/calls", call())
    assert created.status_code == 201, created.json()
    assert created.json()["answer_seconds"] == 8
    assert created.json()["duration_seconds"] == 172
    post(client, f"/api/v1/tickets/{ticket.number}/calls", call(caller_number="+86 10 6552 9988"))

    with CaptureQueriesContext(connection) as queries:
        listed = client.get(f"/api/v1/tickets/{ticket.number}/calls")
    assert listed.status_code == 200
    assert [item["caller_number"] for item in listed.json()] == ["010-6552 9988", "+86 10 6552 9988"]
    assert len(queries) <= 6  # auth, ticket, calls with agents: not one query per call


def test_a_call_creates_a_new_ticket_for_the_chosen_requester(
    api_client: ApiClientFactory, agent: User, requester: User, service_desk: Team
) -> None:
    response = post(api_client(agent), "/api/v1/calls", call(title="Printer jams", requester="requester"))
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(number=response.json()["ticket"])
    assert ticket.requester == requester
    assert ticket.channel == "phone"


def test_invalid_calls_answer_422_with_the_field(api_client: ApiClientFactory, agent: User, ticket: Ticket) -> None:
    ring = datetime.now(tz=UTC) - timedelta(minutes=10)
    response = post(
        api_client(agent),
        f"/api/v1/tickets/{ticket.number}/calls",
        call(answered_at=(ring - timedelta(seconds=5)).isoformat(), ring_at=ring.isoformat()),
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["answered_at"]
    response = post(api_client(agent), "/api/v1/calls", call(title="x"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "requester"
    assert not PhoneCall.objects.exists()


def test_requesters_and_outsiders_are_refused(
    api_client: ApiClientFactory, requester: User, outsider: User, ticket: Ticket
) -> None:
    assert post(api_client(requester), f"/api/v1/tickets/{ticket.number}/calls", call()).status_code == 403
    assert api_client(requester).get(f"/api/v1/tickets/{ticket.number}/calls").status_code == 403
    assert post(api_client(outsider), f"/api/v1/tickets/{ticket.number}/calls", call()).status_code == 404
    assert post(api_client(outsider), "/api/v1/calls", call(title="x", requester="requester")).status_code == 403
    assert not PhoneCall.objects.exists()


def test_the_answer_kpi_endpoint_reports_the_rate(api_client: ApiClientFactory, agent: User, ticket: Ticket) -> None:
    client = api_client(agent)
    post(client, f"/api/v1/tickets/{ticket.number}/calls", call())
    since = (datetime.now(tz=UTC) - timedelta(days=1)).isoformat()
    until = (datetime.now(tz=UTC) + timedelta(minutes=1)).isoformat()
    response = client.get("/api/v1/calls/answer-kpi", {"since": since, "until": until})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rang_count": 1,
        "answered_count": 1,
        "answered_in_time_count": 1,
        "target_seconds": 30,
        "rate": 1.0,
    }


def test_the_call_is_an_internal_entry_of_the_ticket_timeline(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket
) -> None:
    post(api_client(agent), f"/api/v1/tickets/{ticket.number}/calls", call())
    staff_kinds = [
        event["kind"] for event in api_client(agent).get(f"/api/v1/tickets/{ticket.number}/events").json()["items"]
    ]
    requester_events = api_client(requester).get(f"/api/v1/tickets/{ticket.number}/events")
    assert "phone_call_logged" in staff_kinds
    assert requester_events.status_code == 200
    assert "phone_call_logged" not in [event["kind"] for event in requester_events.json()["items"]]
