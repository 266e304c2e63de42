"""HTTP-level tests of collaboration requests, persona by persona."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

COLLAB = "/api/v1/collaboration"


def post(client: Any, url: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(url, payload or {}, content_type="application/json")


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


def asked(client: Any, ticket: Ticket, team: str = "second-line") -> Any:
    deadline = (datetime.now(tz=UTC) + timedelta(days=2)).isoformat()
    return post(
        client,
        f"/api/v1/tickets/{ticket.number}/collaboration-requests",
        {"to_team": team, "needed": "Check the VLAN", "deliverable": "VLAN fixed", "deadline_at": deadline},
    )


def test_the_whole_exchange_through_the_api(
    api_client: ApiClientFactory, agent: User, engineer: User, ticket: Ticket
) -> None:
    asking, receiving = api_client(agent), api_client(engineer)
    created = asked(asking, ticket)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "requested"
    assert body["to_team"]["code"] == "second-line"
    assert body["may_answer"] is False
    rid = body["id"]
    inbox = receiving.get(f"{COLLAB}/requests", {"team": "second-line"})
    assert [item["id"] for item in inbox.json()["items"]] == [rid]
    assert inbox.json()["items"][0]["may_answer"] is True
    assert post(receiving, f"{COLLAB}/requests/{rid}/accept").json()["state"] == "accepted"
    assert post(receiving, f"{COLLAB}/requests/{rid}/progress", {"note": "Half done"}).json()["state"] == "in_progress"
    assert post(receiving, f"{COLLAB}/requests/{rid}/deliver", {"note": "Done"}).json()["state"] == "delivered"
    resolved = post(
        asking,
        f"/api/v1/tickets/{ticket.number}/transitions",
        {"to_status": "resolved", "closure": {"problem": "p", "diagnosis": "d", "solution": "s"}},
    )
    assert resolved.status_code == 409
    assert fields_of(resolved) == ["to_status"]
    assert post(asking, f"{COLLAB}/requests/{rid}/confirm").json()["state"] == "confirmed"
    timeline = asking.get(f"/api/v1/tickets/{ticket.number}/events").json()["items"]
    assert "collaboration_confirmed" in [event["kind"] for event in timeline]
    listed = asking.get(f"/api/v1/tickets/{ticket.number}/collaboration-requests").json()
    assert [item["state"] for item in listed] == ["confirmed"]


def test_refusals_map_to_status_codes_with_field_names(
    api_client: ApiClientFactory, agent: User, engineer: User, requester: User, outsider: User, ticket: Ticket
) -> None:
    assert asked(api_client(requester), ticket).status_code == 403
    unknown = asked(api_client(agent), ticket, team="nope")
    assert unknown.status_code == 422
    assert fields_of(unknown) == ["to_team"]
    rid = asked(api_client(agent), ticket).json()["id"]
    assert post(api_client(agent), f"{COLLAB}/requests/{rid}/accept").status_code == 403
    assert post(api_client(outsider), f"{COLLAB}/requests/{rid}/accept").status_code == 404
    no_reason = post(api_client(engineer), f"{COLLAB}/requests/{rid}/reject", {"reason": ""})
    assert no_reason.status_code in (400, 422)
    assert post(api_client(engineer), f"{COLLAB}/requests/{rid}/confirm").status_code in (403, 404)
    too_early = post(api_client(agent), f"{COLLAB}/requests/{rid}/confirm")
    assert too_early.status_code == 409
    assert fields_of(too_early) == ["state"]
    assert api_client(outsider).get(f"{COLLAB}/requests/{rid}").status_code == 404
    assert api_client(outsider).get(f"{COLLAB}/requests", {"team": "second-line"}).status_code == 404


def test_listing_costs_the_same_queries_for_few_and_many_requests(
    api_client: ApiClientFactory, agent: User, engineer: User, requester: User
) -> None:
    client, asking = api_client(engineer), api_client(agent)
    client.get(f"{COLLAB}/requests")  # the token's first use is recorded once

    def queries_for(total: int) -> int:
        for index in range(total):
            asked(asking, factories.make_ticket(requester, title=f"T{index}"))
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"{COLLAB}/requests").status_code == 200
        return len(context.captured_queries)

    assert queries_for(2) == queries_for(12)


def test_figures_per_team_and_audited_team_settings(
    api_client: ApiClientFactory, agent: User, engineer: User, manager: User, ticket: Ticket, second_line: Team
) -> None:
    rid = asked(api_client(agent), ticket).json()["id"]
    post(api_client(engineer), f"{COLLAB}/requests/{rid}/accept")
    today = datetime.now(tz=UTC).date()
    figures = api_client(manager).get(
        f"{COLLAB}/stats", {"since": str(today - timedelta(days=1)), "until": str(today + timedelta(days=2))}
    )
    assert figures.status_code == 200
    [row] = figures.json()
    assert row["team"]["code"] == "second-line"
    assert row["answered_count"] == 1
    admin = factories.make_user("admin", role=Role.ADMIN)
    assert (
        api_client(manager)
        .put(f"{COLLAB}/teams/second-line/settings", {"acceptance_working_days": 2}, content_type="application/json")
        .status_code
        == 403
    )
    changed = api_client(admin).put(
        f"{COLLAB}/teams/second-line/settings", {"acceptance_working_days": 2}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["effective_acceptance_working_days"] == 2
    assert ConfigChange.objects.filter(object_type="collaboration.teamcollaborationsettings").count() == 1
    assert api_client(manager).get(f"{COLLAB}/teams/second-line/settings").json()["acceptance_working_days"] == 2
    assert api_client(agent).get(f"{COLLAB}/teams/second-line/settings").status_code == 403
