"""HTTP-level tests of the casework records and canned responses, persona by persona."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.casework import actions
from sopdesk.casework.choices import Language
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
CANNED = "/api/v1/canned-responses"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STEP = {"checked": "Ping the gateway", "command": "ping -c 4 10.0.0.1", "result": "100% packet loss"}
PLAN = {"steps": "Replace the switch port", "rollback_plan": "Move the cable back"}


def now() -> datetime:
    return datetime.now(tz=UTC)


def post(client: Any, url: str, payload: dict[str, Any] | None = None) -> Any:
    return client.post(url, payload or {}, content_type="application/json")


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="Network down on floor 2")


@pytest.fixture
def url(ticket: Ticket) -> Callable[[str], str]:
    return lambda tail: f"{TICKETS}/{ticket.number}/{tail}"


# --- diagnosis steps ------------------------------------------------------------------------------


def test_an_agent_records_a_diagnosis_step_with_a_screenshot(
    api_client: ApiClientFactory, agent: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    screenshot = add_attachment(
        ticket, actor=agent, upload=SimpleUploadedFile("s.png", PNG), is_internal=True, now=now()
    )

    created = post(api_client(agent), url("diagnosis-steps"), {**STEP, "attachment_ids": [screenshot.pk]})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["checked"] == "Ping the gateway"
    assert body["is_public"] is False
    assert [a["id"] for a in body["attachments"]] == [screenshot.pk]
    assert body["created_by"]["username"] == "agent"
    events = api_client(agent).get(url("events")).json()["items"]
    assert events[-1]["kind"] == "diagnosis_recorded"


def test_the_requester_sees_no_internal_diagnosis_step_anywhere(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    post(api_client(agent), url("diagnosis-steps"), STEP)
    post(api_client(agent), url("diagnosis-steps"), {**STEP, "checked": "Shown", "is_public": True})
    client = api_client(requester)

    steps = client.get(url("diagnosis-steps")).json()
    events = client.get(url("events")).json()["items"]

    assert [s["checked"] for s in steps] == ["Shown"]
    assert [e["body"] for e in events if e["kind"] == "diagnosis_recorded"] == ["Shown"]


@pytest.mark.parametrize(
    ("persona", "status"), [("requester", 403), ("auditor", 403), ("outsider", 404), ("engineer", 404)]
)
def test_only_the_tickets_staff_record_diagnosis(
    request: pytest.FixtureRequest, api_client: ApiClientFactory, url: Callable[[str], str], persona: str, status: int
) -> None:
    response = post(api_client(request.getfixturevalue(persona)), url("diagnosis-steps"), STEP)

    assert response.status_code == status


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**STEP, "checked": "   "}, "checked"),
        ({**STEP, "result": ""}, "result"),
        ({**STEP, "checked": "two\nlines"}, "checked"),
        ({**STEP, "command": "ls\u0000"}, "command"),
        ({**STEP, "attachment_ids": [0]}, "attachment_ids.0"),
        ({**STEP, "attachment_ids": [2**70]}, "attachment_ids.0"),
        ({**STEP, "attachment_ids": [999]}, "attachment_ids"),
        ({**STEP, "is_internal": True}, "is_internal"),
        ({"checked": "x"}, "result"),
    ],
)
def test_bad_diagnosis_input_gets_a_field_error(
    api_client: ApiClientFactory, agent: User, url: Callable[[str], str], payload: dict[str, Any], field: str
) -> None:
    response = post(api_client(agent), url("diagnosis-steps"), payload)

    assert response.status_code == 422, response.content
    assert field in fields_of(response)


def test_a_foreign_ticket_is_404_for_reading_records(
    api_client: ApiClientFactory, outsider: User, url: Callable[[str], str]
) -> None:
    client = api_client(outsider)

    for tail in (
        "diagnosis-steps",
        "remote-assistance",
        "plans",
        "verifications",
        "plans/off-peak?at=2026-03-10T10:00",
    ):
        assert client.get(url(tail)).status_code == 404, tail


# --- remote-assistance authorisations ----------------------------------------------------------------


def test_remote_assistance_is_asked_granted_and_revoked(
    api_client: ApiClientFactory, agent: User, requester: User, url: Callable[[str], str]
) -> None:
    ends_at = (now() + timedelta(hours=3)).isoformat()
    asked = post(
        api_client(agent), url("remote-assistance"), {"scope": "Read logs", "method": "RDP", "ends_at": ends_at}
    )
    assert asked.status_code == 201, asked.content
    record_id = asked.json()["id"]
    client = api_client(requester)

    listed = client.get(url("remote-assistance")).json()
    granted = post(client, url(f"remote-assistance/{record_id}/grant"))
    revoked = post(client, url(f"remote-assistance/{record_id}/revoke"))

    assert listed[0]["allowed_actions"] == ["grant", "refuse"]
    assert granted.status_code == 200
    assert granted.json()["state"] == "granted"
    assert granted.json()["allowed_actions"] == ["revoke"]
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"]["username"] == "requester"
    assert api_client(agent).get(url("remote-assistance")).json()[0]["allowed_actions"] == []
    again = post(client, url(f"remote-assistance/{record_id}/revoke"))
    assert again.status_code == 409


def test_staff_cannot_grant_and_a_foreign_record_is_404(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope="x", method="y", ends_at=now() + timedelta(hours=1), now=now()
    )
    other = factories.make_ticket(requester, title="Other")

    assert post(api_client(agent), url(f"remote-assistance/{authorization.pk}/grant")).status_code == 403
    foreign = post(api_client(requester), f"{TICKETS}/{other.number}/remote-assistance/{authorization.pk}/grant")
    assert foreign.status_code == 404


def test_a_refusal_reason_is_kept(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope="x", method="y", ends_at=now() + timedelta(hours=1), now=now()
    )

    refused = post(api_client(requester), url(f"remote-assistance/{authorization.pk}/refuse"), {"reason": "Not now"})

    assert refused.json()["state"] == "refused"
    assert refused.json()["refusal_reason"] == "Not now"


def test_a_grant_may_shorten_the_period_asked_for(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    asked_until = (now() + timedelta(hours=3)).replace(microsecond=0)
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope="x", method="y", ends_at=asked_until, now=now()
    )
    shorter = asked_until - timedelta(hours=2)

    granted = post(
        api_client(requester), url(f"remote-assistance/{authorization.pk}/grant"), {"ends_at": shorter.isoformat()}
    )

    assert granted.status_code == 200, granted.content
    assert granted.json()["state"] == "granted"
    assert datetime.fromisoformat(granted.json()["ends_at"]) == shorter
    authorization.refresh_from_db()
    assert authorization.ends_at == shorter


def test_a_grant_without_a_body_keeps_the_period_asked_for(
    api_client: ApiClientFactory, agent: User, requester: User, ticket: Ticket, url: Callable[[str], str]
) -> None:
    asked_until = (now() + timedelta(hours=3)).replace(microsecond=0)
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope="x", method="y", ends_at=asked_until, now=now()
    )

    granted = api_client(requester).generic("POST", url(f"remote-assistance/{authorization.pk}/grant"))

    assert granted.status_code == 200, granted.content
    assert datetime.fromisoformat(granted.json()["ends_at"]) == asked_until


@pytest.mark.parametrize(
    "ends_at",
    [
        "2020-01-01T00:00:00Z",  # in the past
        "beyond",  # after the end asked for (filled in below)
        "soon",
    ],
)
def test_a_grant_refuses_an_end_in_the_past_or_beyond_the_request_with_a_field_error(
    api_client: ApiClientFactory,
    agent: User,
    requester: User,
    ticket: Ticket,
    url: Callable[[str], str],
    ends_at: str,
) -> None:
    asked_until = now() + timedelta(hours=3)
    authorization = actions.request_remote_assistance(
        ticket, actor=agent, scope="x", method="y", ends_at=asked_until, now=now()
    )
    if ends_at == "beyond":
        ends_at = (asked_until + timedelta(hours=1)).isoformat()

    response = post(api_client(requester), url(f"remote-assistance/{authorization.pk}/grant"), {"ends_at": ends_at})

    assert response.status_code == 422, response.content
    assert "ends_at" in fields_of(response)
    authorization.refresh_from_db()
    assert authorization.state == "requested"
    assert abs(authorization.ends_at - asked_until) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "0001-01-01T00:00:00+14:00"}, "ends_at"),
        ({"ends_at": "soon"}, "ends_at"),
        ({"scope": ""}, "scope"),
        ({"method": "a\u202eb"}, "method"),
    ],
)
def test_bad_authorisation_requests_get_a_field_error(
    api_client: ApiClientFactory, agent: User, url: Callable[[str], str], change: dict[str, str], field: str
) -> None:
    payload = {"scope": "Read logs", "method": "RDP", "ends_at": (now() + timedelta(hours=1)).isoformat(), **change}

    response = post(api_client(agent), url("remote-assistance"), payload)

    assert response.status_code == 422
    assert field in fields_of(response)


# --- solution plans -------------------------------------------------------------------------------------


def test_a_plan_in_working_hours_gets_an_off_peak_suggestion(
    api_client: ApiClientFactory, agent: User, url: Callable[[str], str]
) -> None:
    scheduled = datetime.now(tz=SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=7)
    while scheduled.weekday() != 1:  # a Tuesday
        scheduled += timedelta(days=1)

    created = post(api_client(agent), url("plans"), {**PLAN, "scheduled_at": scheduled.isoformat()})

    assert created.status_code == 201, created.content
    hint = created.json()["off_peak"]
    assert hint["is_off_peak"] is False
    assert datetime.fromisoformat(hint["suggested_at"]) == scheduled.replace(hour=18)


def test_the_off_peak_hint_answers_for_any_time(
    api_client: ApiClientFactory, agent: User, url: Callable[[str], str]
) -> None:
    client = api_client(agent)

    evening = client.get(url("plans/off-peak"), {"at": "2026-03-10T20:00:00+08:00"})
    morning = client.get(url("plans/off-peak"), {"at": "2026-03-10T10:00:00+08:00"})
    missing = client.get(url("plans/off-peak"))
    unknown = client.get(url("plans/off-peak"), {"at": "2026-03-10T10:00:00+08:00", "when": "x"})

    assert evening.json() == {"is_off_peak": True, "suggested_at": None}
    assert datetime.fromisoformat(morning.json()["suggested_at"]) == datetime(2026, 3, 10, 18, tzinfo=SHANGHAI)
    assert missing.status_code == 422
    assert fields_of(missing) == ["at"]
    assert unknown.status_code == 422
    assert fields_of(unknown) == ["when"]


def test_the_requester_confirms_or_rejects_with_a_reason(
    api_client: ApiClientFactory, agent: User, requester: User, url: Callable[[str], str]
) -> None:
    first = post(api_client(agent), url("plans"), PLAN).json()
    client = api_client(requester)

    no_reason = post(client, url(f"plans/{first['id']}/reject"), {"reason": "  "})
    rejected = post(client, url(f"plans/{first['id']}/reject"), {"reason": "Not at month end"})
    second = post(api_client(agent), url("plans"), PLAN).json()
    confirmed = post(client, url(f"plans/{second['id']}/confirm"))
    by_agent = post(api_client(agent), url(f"plans/{second['id']}/confirm"))

    assert no_reason.status_code == 422
    assert fields_of(no_reason) == ["reason"]
    assert rejected.json()["state"] == "rejected"
    assert second["version"] == 2
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    assert by_agent.status_code == 403
    assert [p["state"] for p in client.get(url("plans")).json()] == ["rejected", "confirmed"]


# --- verification results ----------------------------------------------------------------------------------


def test_verification_results_are_recorded_and_checked(
    api_client: ApiClientFactory, agent: User, requester: User, url: Callable[[str], str]
) -> None:
    client = api_client(agent)

    created = post(client, url("verifications"), {"verified": "Ping OK for 1 h", "outcome": "passed"})
    bad = post(client, url("verifications"), {"verified": "x", "outcome": "perhaps"})
    by_requester = post(api_client(requester), url("verifications"), {"verified": "x", "outcome": "passed"})

    assert created.status_code == 201
    assert created.json()["outcome"] == "passed"
    assert bad.status_code == 422
    assert fields_of(bad) == ["outcome"]
    assert by_requester.status_code == 403
    assert api_client(requester).get(url("verifications")).json() == []


# --- query counts: the lists cost the same for 2 and 6 records -------------------------------------------------


def _fill(ticket: Ticket, agent: User, requester: User, count: int) -> None:
    at = now()
    for index in range(count):
        upload = SimpleUploadedFile(f"s{index}.png", PNG)
        actions.record_diagnosis_step(ticket, actor=agent, checked=f"c{index}", result="r", uploads=[upload], now=at)
        authorization = actions.request_remote_assistance(
            ticket, actor=agent, scope="s", method="m", ends_at=at + timedelta(hours=1), now=at
        )
        actions.grant_remote_assistance(authorization, actor=requester, now=at)
        plan = actions.propose_solution_plan(
            ticket, actor=agent, steps="s", rollback_plan="r", scheduled_at=at + timedelta(days=1), now=at
        )
        actions.confirm_solution_plan(plan, actor=requester, now=at)
        actions.record_verification(ticket, actor=agent, verified="v", outcome="passed", now=at)
        actions.create_canned_response(actor=agent, title=f"t{index}", body="{ticket_number}", language="en", now=at)


@pytest.mark.parametrize("tail", ["diagnosis-steps", "remote-assistance", "plans", "verifications"])
def test_record_lists_take_a_constant_number_of_queries(
    api_client: ApiClientFactory, agent: User, requester: User, service_desk: Team, tail: str
) -> None:
    counts = []
    for count in (2, 6):
        ticket = factories.make_ticket(requester, title=f"{count} records")
        _fill(ticket, agent, requester, count)
        client = api_client(agent)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{TICKETS}/{ticket.number}/{tail}")
        assert response.status_code == 200
        assert len(response.json()) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_canned_list_takes_a_constant_number_of_queries(
    api_client: ApiClientFactory, agent: User, team_lead: User, requester: User, service_desk: Team
) -> None:
    ticket = factories.make_ticket(requester)
    client = api_client(agent)
    client.get(CANNED)  # the first request of a token records its first use
    counts = []
    for index in range(2):
        for n in range(3):
            actions.create_canned_response(
                actor=team_lead, team=service_desk, title=f"{index}{n}", body="{agent_name}", language="en", now=now()
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CANNED, {"ticket": ticket.number})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- canned responses ---------------------------------------------------------------------------------------------


def test_an_agent_lists_rendered_canned_responses_for_a_ticket(
    api_client: ApiClientFactory, agent: User, team_lead: User, service_desk: Team, ticket: Ticket
) -> None:
    actions.create_canned_response(
        actor=team_lead,
        team=service_desk,
        title="已受理",
        body="{requester_name}您好，工单{ticket_number}已由{agent_name}受理。",
        language=Language.ZH_HANS,
        now=now(),
    )
    actions.create_canned_response(actor=agent, title="Hi", body="Hi {requester_name}", language="en", now=now())

    listed = api_client(agent).get(CANNED, {"ticket": ticket.number, "language": "zh-hans"}).json()

    assert len(listed) == 1
    assert listed[0]["rendered"] == f"requester您好，工单{ticket.number}已由agent受理。"
    assert listed[0]["team"]["code"] == "service-desk"
    assert listed[0]["may_manage"] is False


def test_rendering_for_a_ticket_the_agent_cannot_see_is_404(
    api_client: ApiClientFactory, engineer: User, ticket: Ticket
) -> None:
    assert api_client(engineer).get(CANNED, {"ticket": ticket.number}).status_code == 404


def test_requesters_have_no_canned_responses(api_client: ApiClientFactory, requester: User) -> None:
    client = api_client(requester)

    assert client.get(CANNED).status_code == 403
    assert post(client, CANNED, {"title": "t", "body": "b", "language": "en"}).status_code == 403


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"title": "t", "body": "Dear {customer}", "language": "en"}, 422, "body"),
        ({"title": "t", "body": "Hi {", "language": "en"}, 422, "body"),
        ({"title": "t", "body": "b", "language": "fr"}, 422, "language"),
        ({"title": "", "body": "b", "language": "en"}, 422, "title"),
        ({"title": "t", "body": "b", "language": "en", "team": "nope"}, 422, "team"),
        ({"title": "t", "body": "b", "language": "en", "team": "service-desk"}, 403, "team"),
        ({"title": "t", "body": "b", "language": "en", "scope": "x"}, 422, "scope"),
    ],
)
def test_bad_canned_responses_get_a_field_error(
    api_client: ApiClientFactory, agent: User, payload: dict[str, str], status: int, field: str
) -> None:
    response = post(api_client(agent), CANNED, payload)

    assert response.status_code == status, response.content
    assert field in fields_of(response)


def test_the_owner_edits_and_deactivates_and_others_get_404(
    api_client: ApiClientFactory, agent: User, team_lead: User
) -> None:
    client = api_client(agent)
    created = post(client, CANNED, {"title": "Hi", "body": "Hi {requester_name}", "language": "en"}).json()
    item = f"{CANNED}/{created['id']}"

    patched = client.patch(item, {"body": "Hello {requester_name}"}, content_type="application/json")
    null = client.patch(item, {"title": None}, content_type="application/json")
    deactivated = post(client, f"{item}/deactivate")

    assert patched.json()["body"] == "Hello {requester_name}"
    assert null.status_code == 422
    assert fields_of(null) == ["title"]
    assert deactivated.json()["is_active"] is False
    assert client.get(CANNED).json() == []
    assert [r["id"] for r in client.get(CANNED, {"include_inactive": "true"}).json()] == [created["id"]]
    assert post(client, f"{item}/activate").json()["is_active"] is True
    assert api_client(team_lead).get(item).status_code == 404
    assert post(api_client(team_lead), f"{item}/deactivate").status_code == 404


def test_a_team_lead_manages_the_teams_responses_and_members_may_only_use_them(
    api_client: ApiClientFactory, agent: User, team_lead: User
) -> None:
    created = post(
        api_client(team_lead), CANNED, {"title": "T", "body": "b", "language": "en", "team": "service-desk"}
    ).json()
    item = f"{CANNED}/{created['id']}"

    assert api_client(agent).get(item).json()["may_manage"] is False
    assert post(api_client(agent), f"{item}/deactivate").status_code == 403
    assert post(api_client(team_lead), f"{item}/deactivate").status_code == 200
