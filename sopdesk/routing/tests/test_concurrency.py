"""Concurrent escalations of one ticket from real threads: the row lock lets exactly one through."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.testing import factories
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent


def _race(count: int, request: Callable[[int], Any]) -> list[Any]:
    """Run `request(i)` in `count` threads released together; return their results in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = request(index)
        except BaseException as exc:  # a crash must fail the test, not vanish with the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_eight_agents_escalating_one_ticket_at_once_exactly_one_moves_it(
    api_client: ApiClientFactory, requester: User, service_desk: Team, second_line: Team
) -> None:
    agents = [factories.make_user(f"agent-{index}", role=Role.AGENT, teams=[service_desk]) for index in range(8)]
    clients = [api_client(agent) for agent in agents]
    ticket = factories.make_ticket(requester)

    results = _race(
        8,
        lambda i: clients[i].post(
            f"/api/v1/tickets/{ticket.number}/escalations", {"reason": f"from {i}"}, content_type="application/json"
        ),
    )

    codes = sorted(result.status_code for result in results)
    # The others find the ticket gone from their team: they may no longer see it (404).
    assert codes == [201] + [404] * 7, codes
    assert Ticket.objects.get(pk=ticket.pk).team == second_line
    assert TicketEvent.objects.filter(ticket=ticket, kind=RoutingEventKind.TIER_ESCALATED).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count() == 1
