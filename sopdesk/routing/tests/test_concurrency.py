"""Concurrent escalations of one ticket from real threads: the row lock lets exactly one through."""

from __future__ import annotations

import pytest

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.routing.choices import RoutingEventKind
from sopdesk.testing import factories
from sopdesk.testing.concurrency import race
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_eight_agents_escalating_one_ticket_at_once_exactly_one_moves_it(
    api_client: ApiClientFactory, requester: User, service_desk: Team, second_line: Team
) -> None:
    agents = [factories.make_user(f"agent-{index}", role=Role.AGENT, teams=[service_desk]) for index in range(8)]
    clients = [api_client(agent) for agent in agents]
    ticket = factories.make_ticket(requester)

    results = race(
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
