"""Every ticket in the API carries its SLA state: due instants, business time left, state per clock."""

from __future__ import annotations

import pytest
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import User
from sopdesk.sla.tests.conftest import FrozenClock, beijing
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.actions import change_status
from sopdesk.tickets.choices import Status

pytestmark = pytest.mark.django_db

P3 = {"impact": "single_user", "urgency": "high"}


def clocks_by_metric(body: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {clock["metric"]: clock for clock in body["sla"]["clocks"]}


def test_ticket_detail_shows_each_clock(
    api_client: ApiClientFactory, requester: User, agent: User, clock: FrozenClock
) -> None:
    clock.move_to(beijing(2026, 10, 12, 9, 0))
    ticket = make_ticket(requester, now=timezone.now(), **P3)
    clock.move_to(beijing(2026, 10, 12, 11, 48))
    body = api_client(agent).get(f"/api/v1/tickets/{ticket.number}").json()
    assert body["sla"]["policy"] == "P3 中 Medium"
    assert body["sla"]["state"] == "breached"  # nobody was assigned by 09:15
    clocks = clocks_by_metric(body)
    assert clocks["assignment"]["state"] == "breached"
    assert clocks["first_response"] == {
        "metric": "first_response",
        "state": "ok",
        "target_minutes": 240,
        "due_at": "2026-10-12T06:30:00Z",  # 14:30 in Beijing
        "met_at": None,
        "breached_at": None,
        "remaining_seconds": 72 * 60,
    }
    assert clocks["update"]["state"] == "none"


def test_requesters_see_the_clocks_of_their_own_ticket(
    api_client: ApiClientFactory, requester: User, agent: User, clock: FrozenClock
) -> None:
    clock.move_to(beijing(2026, 10, 12, 9, 0))
    ticket = make_ticket(requester, now=timezone.now(), **P3)
    change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=timezone.now())
    body = api_client(requester).get(f"/api/v1/tickets/{ticket.number}").json()
    assert clocks_by_metric(body)["resolution"]["state"] == "paused"
    assert clocks_by_metric(body)["resolution"]["remaining_seconds"] == 450 * 60


def test_ticket_list_rows_carry_the_sla_state(
    api_client: ApiClientFactory, requester: User, agent: User, clock: FrozenClock
) -> None:
    clock.move_to(beijing(2026, 10, 12, 9, 0))
    make_ticket(requester, now=timezone.now(), **P3)
    clock.move_to(beijing(2026, 10, 12, 9, 12))
    items = api_client(agent).get("/api/v1/tickets").json()["items"]
    assert [item["sla"]["state"] for item in items] == ["warning"]
