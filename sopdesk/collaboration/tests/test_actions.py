from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.collaboration import actions
from sopdesk.collaboration.choices import CollaborationEventKind, CollaborationState
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.collaboration.tests.conftest import ask
from sopdesk.core.errors import ActionError, PermissionRefused, TransitionRefused
from sopdesk.core.validation import ValidationFailed
from sopdesk.notifications.models import Notification
from sopdesk.testing import factories
from sopdesk.tickets import actions as ticket_actions
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket, TicketEvent

# A Wednesday, 10:00 in Shanghai.
NOW = datetime(2026, 10, 14, 2, 0, tzinfo=UTC)
CLOSURE = ticket_actions.ClosureSummary(problem="p", diagnosis="d", solution="s")


def kinds(ticket: Ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="collaboration").values_list("kind", flat=True)
    )


def test_a_request_goes_from_asked_to_confirmed_with_every_step_on_the_timeline(
    ticket: Ticket, agent: User, engineer: User, second_line: Team, second_line_lead: User
) -> None:
    request = ask(ticket, agent, second_line, now=NOW)
    assert request.state == CollaborationState.REQUESTED
    assert request.from_team_id == ticket.team_id
    assert request.accept_due_at == NOW + timedelta(days=1)  # Thursday, same time
    actions.accept_request(request, actor=engineer, note="On it", now=NOW + timedelta(hours=1))
    actions.record_progress(request, actor=engineer, note="Port found", now=NOW + timedelta(hours=2))
    assert request.state == CollaborationState.IN_PROGRESS
    assert request.started_at is not None
    actions.deliver(request, actor=engineer, note="Port re-enabled", now=NOW + timedelta(hours=3))
    actions.return_delivery(request, actor=agent, reason="Still down for one PC", now=NOW + timedelta(hours=4))
    actions.deliver(request, actor=engineer, note="Fixed the second port", now=NOW + timedelta(hours=5))
    actions.confirm_delivery(request, actor=agent, note="Works", now=NOW + timedelta(hours=6))
    request.refresh_from_db()
    assert request.state == CollaborationState.CONFIRMED
    assert request.closed_by == agent
    assert kinds(ticket) == [
        CollaborationEventKind.REQUESTED,
        CollaborationEventKind.ACCEPTED,
        CollaborationEventKind.PROGRESS,
        CollaborationEventKind.DELIVERED,
        CollaborationEventKind.RETURNED,
        CollaborationEventKind.DELIVERED,
        CollaborationEventKind.CONFIRMED,
    ]
    assert not TicketEvent.objects.filter(ticket=ticket, kind__startswith="collaboration", is_internal=False).exists()
    # The receiving team's lead hears of the request; the asker of each answer.
    assert Notification.objects.filter(recipient=second_line_lead).count() >= 1
    assert Notification.objects.filter(recipient=agent, ticket=ticket).count() == 4


def test_rejecting_needs_a_reason_and_closes_the_request(
    ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    request = ask(ticket, agent, second_line, now=NOW)
    with pytest.raises(ValidationFailed):
        actions.reject_request(request, actor=engineer, reason="  ", now=NOW)
    actions.reject_request(request, actor=engineer, reason="Not our system", now=NOW)
    assert request.state == CollaborationState.REJECTED
    assert request.reject_reason == "Not our system"
    assert not request.is_open
    with pytest.raises(TransitionRefused):
        actions.accept_request(request, actor=engineer, note="", now=NOW)


def test_only_the_receiving_team_answers_and_only_staff_of_the_ticket_ask(
    ticket: Ticket, agent: User, engineer: User, second_line: Team, requester: User, outsider: User, manager: User
) -> None:
    with pytest.raises(PermissionRefused):
        ask(ticket, requester, second_line, now=NOW)
    request = ask(ticket, agent, second_line, now=NOW)
    for stranger in (agent, outsider, requester):
        with pytest.raises(PermissionRefused):
            actions.accept_request(request, actor=stranger, note="", now=NOW)
    # The engineer cannot change the ticket, so cannot confirm or withdraw on the asking side.
    with pytest.raises((PermissionRefused, ActionError)):
        actions.withdraw_request(request, actor=engineer, reason="no", now=NOW)
    actions.accept_request(request, actor=manager, note="", now=NOW)
    assert request.state == CollaborationState.ACCEPTED


def test_a_team_is_asked_once_at_a_time_and_never_its_own_ticket(
    ticket: Ticket, agent: User, second_line: Team, service_desk: Team
) -> None:
    ask(ticket, agent, second_line, now=NOW)
    with pytest.raises(ActionError) as error:
        ask(ticket, agent, second_line, now=NOW)
    assert error.value.field == "to_team"
    with pytest.raises(ActionError):
        ask(ticket, agent, service_desk, now=NOW)
    with pytest.raises(ActionError) as past:
        ask(ticket, agent, factories.make_team("cloud"), now=NOW, deadline=timedelta(hours=-1))
    assert past.value.field == "deadline_at"


def test_a_ticket_with_open_requests_cannot_be_resolved_until_they_are_confirmed(
    ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    request = ask(ticket, agent, second_line, now=NOW)
    assert Status.RESOLVED not in ticket_actions.allowed_transitions(ticket, actor=agent, now=NOW)
    assert Status.PENDING_CONFIRMATION not in ticket_actions.allowed_transitions(ticket, actor=agent, now=NOW)
    with pytest.raises(TransitionRefused) as refused:
        ticket_actions.change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=NOW, closure=CLOSURE)
    assert refused.value.field == "to_status"
    actions.accept_request(request, actor=engineer, note="", now=NOW)
    actions.deliver(request, actor=engineer, note="Done", now=NOW)
    assert Status.RESOLVED not in ticket_actions.allowed_transitions(ticket, actor=agent, now=NOW)
    actions.confirm_delivery(request, actor=agent, note="", now=NOW)
    assert Status.RESOLVED in ticket_actions.allowed_transitions(ticket, actor=agent, now=NOW)
    ticket_actions.change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=NOW, closure=CLOSURE)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    with pytest.raises(ActionError):
        ask(ticket, agent, factories.make_team("cloud"), now=NOW)


def test_a_withdrawn_request_no_longer_blocks_resolving(ticket: Ticket, agent: User, second_line: Team) -> None:
    request = ask(ticket, agent, second_line, now=NOW)
    actions.withdraw_request(request, actor=agent, reason="Found it ourselves", now=NOW)
    assert request.state == CollaborationState.WITHDRAWN
    assert Status.RESOLVED in ticket_actions.allowed_transitions(ticket, actor=agent, now=NOW)


@override_settings(SOPDESK_COLLABORATION_BLOCKS_RESOLVE=False)
def test_open_requests_do_not_block_resolving_when_the_setting_is_off(
    ticket: Ticket, agent: User, second_line: Team
) -> None:
    ask(ticket, agent, second_line, now=NOW)
    ticket_actions.change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=NOW, closure=CLOSURE)
    assert CollaborationRequest.objects.open().filter(ticket=ticket).exists()


def test_every_step_gives_the_ticket_a_new_version(
    ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    before = Ticket.objects.get(pk=ticket.pk).version
    request = ask(ticket, agent, second_line, now=NOW)
    actions.accept_request(request, actor=engineer, note="", now=NOW)
    assert Ticket.objects.get(pk=ticket.pk).version == before + 2


def test_team_settings_are_audited_and_admin_only(second_line: Team, manager: User) -> None:
    admin = factories.make_user("admin", role="admin")  # type: ignore[arg-type]
    with pytest.raises(PermissionRefused):
        actions.set_team_settings(second_line, actor=manager, calendar=None, acceptance_working_days=2, now=NOW)
    row = actions.set_team_settings(second_line, actor=admin, calendar=None, acceptance_working_days=2, now=NOW)
    assert row.acceptance_working_days == 2
    change = ConfigChange.objects.get(object_type="collaboration.teamcollaborationsettings")
    assert (
        change.after == {"acceptance_working_days": 2, "calendar": None} or change.after["acceptance_working_days"] == 2
    )
    with pytest.raises(ActionError):
        actions.set_team_settings(second_line, actor=admin, calendar=None, acceptance_working_days=0, now=NOW)


def test_every_collaboration_event_kind_fits_the_timeline_column() -> None:
    column = TicketEvent._meta.get_field("kind").max_length
    assert column is not None
    assert all(len(kind) <= column for kind in CollaborationEventKind.values)


def test_notices_to_people_who_cannot_see_the_ticket_link_to_no_ticket(
    ticket: Ticket, agent: User, second_line: Team, second_line_lead: User
) -> None:
    ask(ticket, agent, second_line, now=NOW)
    notice = Notification.objects.get(recipient=second_line_lead)
    assert notice.ticket_id is None
    assert ticket.number in notice.subject
