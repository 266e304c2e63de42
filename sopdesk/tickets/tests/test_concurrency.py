"""No lost updates: concurrent API writes to one ticket, from real threads on the real database.

Each thread has its own connection. The actions lock the ticket row (PostgreSQL) or take
SQLite's write lock at BEGIN IMMEDIATE, and re-check the state they decide on, so exactly one
of several conflicting writes wins and the SLA clocks follow the winner, once.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from conftest import ApiClientFactory
from sopdesk.accounts.models import User
from sopdesk.sla.choices import SlaEventKind
from sopdesk.sla.models import TicketSla
from sopdesk.testing import factories
from sopdesk.testing.concurrency import race
from sopdesk.tickets.actions import assign_ticket, change_status
from sopdesk.tickets.choices import EventKind, Status
from sopdesk.tickets.models import Ticket

TICKETS = "/api/v1/tickets"


@pytest.fixture
def in_progress(requester: User, agent: User) -> Ticket:
    ticket = factories.make_ticket(requester)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=ticket.created_at)
    change_status(ticket, to_status=Status.IN_PROGRESS, actor=agent, now=ticket.created_at)
    return ticket


def _clients(api_client: ApiClientFactory, user: User, count: int) -> list[Client]:
    return [api_client(user) for _ in range(count)]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_twenty_edits_with_the_same_if_match_exactly_one_wins(
    api_client: ApiClientFactory, in_progress: Ticket, agent: User
) -> None:
    first = api_client(agent).get(f"{TICKETS}/{in_progress.number}")
    etag = first["ETag"]
    clients = _clients(api_client, agent, 20)

    results = race(
        20,
        lambda i: clients[i].patch(
            f"{TICKETS}/{in_progress.number}",
            {"title": f"Edited by writer {i}"},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        ),
    )

    statuses = Counter(getattr(result, "status_code", repr(result)) for result in results)
    assert statuses == {200: 1, 412: 19}
    winner = next(result for result in results if result.status_code == 200)
    in_progress.refresh_from_db()
    assert in_progress.title == winner.json()["title"]
    assert in_progress.version == first.json()["version"] + 1
    assert winner["ETag"] != etag
    assert in_progress.events.filter(kind=EventKind.DETAILS_CHANGED).count() == 1
    refused = next(result for result in results if result.status_code == 412).json()
    assert "changed by someone else" in refused["detail"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_ten_transitions_from_the_same_status_exactly_one_wins_and_the_clocks_follow_it(
    api_client: ApiClientFactory, in_progress: Ticket, agent: User
) -> None:
    closure = {"problem": "Toner", "diagnosis": "Counter", "solution": "Replaced"}
    targets = [Status.PENDING_CUSTOMER, Status.RESOLVED, Status.PENDING_CONFIRMATION]
    clients = _clients(api_client, agent, 10)
    etag = api_client(agent).get(f"{TICKETS}/{in_progress.number}")["ETag"]

    results = race(
        10,
        lambda i: clients[i].post(
            f"{TICKETS}/{in_progress.number}/transitions",
            {"to_status": targets[i % 3], "closure": closure},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        ),
    )

    statuses = Counter(getattr(result, "status_code", repr(result)) for result in results)
    assert statuses == {200: 1, 412: 9}
    final = Status(next(result for result in results if result.status_code == 200).json()["status"])
    in_progress.refresh_from_db()
    assert in_progress.status == final
    changes = in_progress.events.filter(kind=EventKind.STATUS_CHANGED, data__from=Status.IN_PROGRESS)
    assert changes.count() == 1
    sla = TicketSla.objects.get(pk=in_progress.pk)
    if final == Status.RESOLVED:  # stopped: every clock met at the winner's instant
        assert sla.resolution_met_at is not None
        assert sla.first_response_met_at is not None
        assert not in_progress.events.filter(kind=SlaEventKind.SLA_PAUSED).exists()
    else:  # both waiting statuses pause the resolution clock, once
        assert sla.resolution_paused_at is not None
        assert in_progress.events.filter(kind=SlaEventKind.SLA_PAUSED).count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_if_match_the_same_move_from_ten_threads_happens_once(
    api_client: ApiClientFactory, in_progress: Ticket, agent: User
) -> None:
    clients = _clients(api_client, agent, 10)
    version_before = in_progress.version

    results = race(
        10,
        lambda i: clients[i].post(
            f"{TICKETS}/{in_progress.number}/transitions",
            {"to_status": Status.PENDING_CUSTOMER},
            content_type="application/json",
        ),
    )

    # The losers re-check the locked row, find it already waiting and are refused (409), not applied twice.
    statuses = Counter(getattr(result, "status_code", repr(result)) for result in results)
    assert statuses == {200: 1, 409: 9}
    assert in_progress.events.filter(kind=EventKind.STATUS_CHANGED, data__to=Status.PENDING_CUSTOMER).count() == 1
    assert in_progress.events.filter(kind=SlaEventKind.SLA_PAUSED).count() == 1
    in_progress.refresh_from_db()
    assert in_progress.version == version_before + 1
