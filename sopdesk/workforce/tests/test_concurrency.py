"""Parallel assignment: creations racing in real threads never push an agent over capacity.

Each thread has its own connection and transaction. Automatic assignment locks the qualifying
agents' profile rows before counting their open tickets (PostgreSQL); on SQLite the writers are
serialised by `BEGIN IMMEDIATE`. Run on both databases.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.testing.concurrency import race
from sopdesk.tickets.actions import move_to_team
from sopdesk.tickets.models import Ticket
from sopdesk.workforce import actions
from sopdesk.workforce.tests.conftest import make_agent


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("strategy", ["least_loaded", "round_robin", "best_skill"])
def test_twelve_tickets_moved_in_parallel_fill_six_free_places_exactly(
    strategy: str, requester: User, service_desk: Team, second_line: Team, manager: User
) -> None:
    # Created in a team without a strategy; the moves (one ticket row each, no shared counter) race.
    tickets = [factories.make_ticket(requester, title=f"Parallel {i}") for i in range(12)]
    for ticket in tickets:
        move_to_team(ticket, team=second_line, now=timezone.now(), reason="Set-up")
    agents = [make_agent(name, service_desk, capacity=2) for name in ("ann", "bob", "cai")]
    actions.set_team_assignment(
        actor=manager,
        team=service_desk,
        strategy=strategy,
        backup_team=None,
        requires_certification=True,
        now=timezone.now(),
    )

    results = race(12, lambda i: move_to_team(tickets[i], team=service_desk, now=timezone.now(), reason="Race"))

    assert [result for result in results if isinstance(result, BaseException)] == []
    load = Counter(Ticket.objects.filter(assignee__isnull=False).values_list("assignee__username", flat=True))
    assert load == Counter({agent.username: 2 for agent in agents})
    assert Ticket.objects.filter(team=service_desk, assignee__isnull=True).count() == 6
