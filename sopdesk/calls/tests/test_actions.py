"""Logging phone calls: on an existing ticket, opening a new one, validation, the answer-time figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sopdesk.accounts.models import Team, User
from sopdesk.calls.actions import CallDetails, log_call, log_call_creating_ticket, same_phone_number
from sopdesk.calls.choices import CallDirection, CallEventKind, CallOutcome
from sopdesk.calls.models import PhoneCall
from sopdesk.calls.queries import answer_figures, calls_visible_to
from sopdesk.core.errors import ActionError, NotFound, PermissionRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.testing import factories
from sopdesk.tickets.choices import Channel
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def details(**changes: object) -> CallDetails:
    values: dict[str, object] = {
        "caller_number": "+86 138-0013-8000",
        "caller_name": "Li Wei",
        "ring_at": NOW - timedelta(minutes=5),
        "answered_at": NOW - timedelta(minutes=5) + timedelta(seconds=12),
        "ended_at": NOW - timedelta(minutes=1),
        "notes": "VPN drops every ten minutes.",
    }
    values.update(changes)
    return CallDetails(**values)  # type: ignore[arg-type]


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester, title="VPN unstable", now=NOW - timedelta(hours=1))


def test_a_call_on_an_existing_ticket_is_recorded_with_its_answer_time_and_a_timeline_entry(
    agent: User, ticket: Ticket
) -> None:
    call = log_call(ticket, actor=agent, details=details(), now=NOW)

    assert call.answer_seconds == 12
    assert call.duration_seconds == 4 * 60 - 12  # derived from answer and end
    entry = TicketEvent.objects.get(ticket=ticket, kind=CallEventKind.PHONE_CALL_LOGGED)
    assert entry.is_internal
    assert entry.actor == agent
    assert entry.data["phone_call"] == call.pk
    ticket.refresh_from_db()
    assert ticket.updated_at == NOW


def test_a_call_from_a_known_number_opens_a_phone_ticket_for_that_requester(agent: User, requester: User) -> None:
    requester.phone = "+86 (138) 0013 80 00"
    requester.save(update_fields=["phone"])

    call = log_call_creating_ticket(actor=agent, details=details(), title="VPN drops", now=NOW)

    assert call.created_ticket
    assert call.ticket.requester == requester
    assert call.ticket.channel == Channel.PHONE
    assert call.ticket.contact_phone == "+86 138-0013-8000"
    assert call.ticket.description == "VPN drops every ten minutes."


def test_an_unknown_number_asks_the_agent_to_choose_the_requester(agent: User, requester: User) -> None:
    with pytest.raises(ActionError) as refused:
        log_call_creating_ticket(actor=agent, details=details(), title="VPN drops", now=NOW)
    assert refused.value.field == "requester"
    assert not Ticket.objects.exists()

    call = log_call_creating_ticket(actor=agent, details=details(), title="VPN drops", requester=requester, now=NOW)
    assert call.ticket.requester == requester


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"answered_at": NOW - timedelta(minutes=6)}, "answered_at"),
        ({"ended_at": NOW - timedelta(minutes=6)}, "ended_at"),
        ({"ring_at": NOW + timedelta(hours=1), "answered_at": None, "ended_at": None}, "ring_at"),
        ({"duration_seconds": -5}, "duration_seconds"),
        ({"caller_number": "call me maybe"}, "caller_number"),
        ({"caller_number": ""}, "caller_number"),
        ({"outcome": CallOutcome.MISSED}, "outcome"),
        ({"direction": "sideways"}, "direction"),
        ({"notes": "bell\x07"}, "notes"),
    ],
)
def test_impossible_calls_are_refused_with_the_field_at_fault(
    agent: User, ticket: Ticket, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        log_call(ticket, actor=agent, details=details(**changes), now=NOW)
    assert field in refused.value.errors
    assert not PhoneCall.objects.exists()


def test_requesters_auditors_and_agents_of_other_teams_cannot_log_calls(
    requester: User, auditor: User, engineer: User, outsider: User, ticket: Ticket
) -> None:
    for actor in (requester, auditor):
        with pytest.raises(PermissionRefused):
            log_call(ticket, actor=actor, details=details(), now=NOW)
    with pytest.raises(NotFound):
        log_call(ticket, actor=engineer, details=details(), now=NOW)  # another team's ticket
    with pytest.raises(PermissionRefused):
        log_call_creating_ticket(actor=outsider, details=details(), title="x", requester=outsider, now=NOW)
    assert not PhoneCall.objects.exists()


def test_the_answer_figure_counts_inbound_calls_answered_within_30_seconds(agent: User, ticket: Ticket) -> None:
    ring = NOW - timedelta(hours=1)
    for answered_after, direction in [
        (5, CallDirection.INBOUND),
        (30, CallDirection.INBOUND),
        (31, CallDirection.INBOUND),
    ]:
        log_call(
            ticket,
            actor=agent,
            details=details(
                ring_at=ring, answered_at=ring + timedelta(seconds=answered_after), ended_at=None, direction=direction
            ),
            now=NOW,
        )
    log_call(
        ticket,
        actor=agent,
        details=details(ring_at=ring, answered_at=None, ended_at=None, outcome=CallOutcome.MISSED),
        now=NOW,
    )
    log_call(ticket, actor=agent, details=details(ring_at=ring, direction=CallDirection.OUTBOUND), now=NOW)

    figures = answer_figures(calls_visible_to(agent), since=NOW - timedelta(days=1), until=NOW)

    assert (figures.rang_count, figures.answered_count, figures.answered_in_time_count) == (4, 3, 2)
    assert figures.rate == 0.5
    assert answer_figures(calls_visible_to(agent), since=NOW, until=NOW + timedelta(days=1)).rate is None


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("+86 138-0013-8000", "13800138000", True),
        ("021-5555-0101", "+86 21 5555 0101", True),
        ("(010) 6552 9988", "010-65529988", True),
        ("13800138000", "13800138001", False),
        ("8000", "+86 138 0013 8000", False),
        ("55 0101", "+86 21 5555 0101", False),
    ],
)
def test_phone_numbers_match_across_separators_trunk_zeros_and_country_codes(
    first: str, second: str, same: bool
) -> None:
    assert same_phone_number(first, second) is same
