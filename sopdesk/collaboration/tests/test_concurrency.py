"""Racing steps on one request, from real threads on the real database (parallel writers on PostgreSQL).

The steps lock the ticket row, then reload the request, so of an accept and a reject at once
exactly one wins; the late-acceptance scan claims by compare-and-set, so two scans racing each
other (and an acceptance) flag a request at most once and never one that was answered in time.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration import actions
from sopdesk.collaboration.choices import CollaborationEventKind, CollaborationState
from sopdesk.collaboration.late import flag_late_acceptances
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.collaboration.tests.conftest import ask
from sopdesk.core.errors import TransitionRefused
from sopdesk.testing import factories
from sopdesk.testing.concurrency import race
from sopdesk.tickets.models import TicketEvent

NOW = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_of_an_accept_and_a_reject_at_once_exactly_one_wins(
    requester: User, agent: User, engineer: User, second_line: Team
) -> None:
    request = ask(factories.make_ticket(requester), agent, second_line, now=NOW)

    def step(index: int) -> Any:
        row = CollaborationRequest.objects.get(pk=request.pk)
        if index % 2:
            return actions.reject_request(row, actor=engineer, reason="not ours", now=NOW).state
        return actions.accept_request(row, actor=engineer, note="", now=NOW).state

    results = race(6, step)
    outcomes = Counter(type(result).__name__ if isinstance(result, Exception) else "won" for result in results)
    assert outcomes == {"won": 1, TransitionRefused.__name__: 5}, results
    answers = TicketEvent.objects.filter(
        ticket_id=request.ticket_id,
        kind__in=[CollaborationEventKind.ACCEPTED, CollaborationEventKind.REJECTED],
    )
    assert answers.count() == 1


def test_racing_scans_flag_each_late_request_once(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    for index in range(12):
        ask(ticket, agent, factories.make_team(f"team-{index}"), now=NOW)
    later = NOW + timedelta(days=7)

    flagged = race(4, lambda index: flag_late_acceptances(now=later, batch=5))
    assert sum(flagged) == 12, flagged
    late = TicketEvent.objects.filter(ticket=ticket, kind=CollaborationEventKind.ACCEPTANCE_LATE)
    assert late.count() == 12
    assert CollaborationRequest.objects.filter(state=CollaborationState.REQUESTED).count() == 12
