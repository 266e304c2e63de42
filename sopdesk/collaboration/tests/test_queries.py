from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration import actions
from sopdesk.collaboration.queries import get_request_for_user, inbox_for, requests_for_ticket, team_stats
from sopdesk.collaboration.tests.conftest import ask
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

NOW = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)


def test_the_receiving_team_reads_its_request_but_not_others(
    ticket: Ticket, agent: User, engineer: User, second_line: Team, outsider: User, requester: User
) -> None:
    request = ask(ticket, agent, second_line, now=NOW)
    assert get_request_for_user(engineer, request.pk) == request
    assert list(requests_for_ticket(ticket.pk, agent)) == [request]
    other = ask(ticket, agent, factories.make_team("cloud"), now=NOW)
    for user in (outsider, requester):
        with pytest.raises(Http404):
            get_request_for_user(user, request.pk)
    with pytest.raises(Http404):
        get_request_for_user(engineer, other.pk)
    assert list(inbox_for(second_line)) == [request]


def test_completion_rate_and_acceptance_time_per_team(
    requester: User, agent: User, engineer: User, second_line: Team
) -> None:
    tickets = [factories.make_ticket(requester, title=f"T{index}") for index in range(4)]
    confirmed = ask(tickets[0], agent, second_line, now=NOW)
    actions.accept_request(confirmed, actor=engineer, note="", now=NOW + timedelta(hours=2))
    actions.deliver(confirmed, actor=engineer, note="done", now=NOW + timedelta(hours=3))
    actions.confirm_delivery(confirmed, actor=agent, note="", now=NOW + timedelta(hours=4))
    rejected = ask(tickets[1], agent, second_line, now=NOW)
    actions.reject_request(rejected, actor=engineer, reason="no", now=NOW + timedelta(days=2))  # late
    withdrawn = ask(tickets[2], agent, second_line, now=NOW)
    actions.withdraw_request(withdrawn, actor=agent, reason="not needed", now=NOW)
    ask(tickets[3], agent, second_line, now=NOW)  # still waiting
    [stats] = team_stats(since=NOW - timedelta(days=1), until=NOW + timedelta(days=1))
    assert stats.team_id == second_line.pk
    assert (stats.received_count, stats.confirmed_count, stats.rejected_count, stats.withdrawn_count) == (4, 1, 1, 1)
    assert stats.completion_rate == pytest.approx(1 / 3)
    assert stats.answered_count == 2
    assert stats.answered_late_count == 1
    assert stats.on_time_acceptance_rate == pytest.approx(0.5)
    assert stats.average_acceptance == timedelta(hours=25)
    assert team_stats(since=NOW + timedelta(days=1), until=NOW + timedelta(days=2)) == []
