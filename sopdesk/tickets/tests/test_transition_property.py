"""Property: the moves a ticket offers are exactly the moves the action accepts.

For random tickets (reached through the real actions), personas and times, every status that
`allowed_transitions` advertises succeeds through `change_status`, and every other status is
refused with an `ActionError` — so the API's `allowed_transitions` and the coming UI's buttons
can never offer a move the action refuses, nor hide one it would accept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.core.errors import ActionError
from sopdesk.core.validation import ValidationFailed
from sopdesk.testing import factories
from sopdesk.tickets.actions import ClosureSummary, allowed_transitions, assign_ticket, change_status
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUMMARY = ClosureSummary(problem="Toner empty", diagnosis="Checked the counter", solution="Replaced the toner")

# How each status is reached from "new" with the real actions (staff steps).
PATHS: dict[Status, list[Status]] = {
    Status.NEW: [],
    Status.ASSIGNED: [Status.ASSIGNED],
    Status.IN_PROGRESS: [Status.IN_PROGRESS],
    Status.PENDING_CUSTOMER: [Status.IN_PROGRESS, Status.PENDING_CUSTOMER],
    Status.PENDING_CONFIRMATION: [Status.IN_PROGRESS, Status.PENDING_CONFIRMATION],
    Status.RESOLVED: [Status.IN_PROGRESS, Status.RESOLVED],
    Status.CLOSED: [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED],
}
PERSONAS = ["owner", "colleague", "outsider", "agent", "lead", "engineer", "manager", "auditor"]


class _Rollback(Exception):
    """Raised to undo one attempted move, so every target is tried on the same ticket state."""


def _reach(ticket: Ticket, status: Status, *, staff: User, assign: bool, now: datetime) -> None:
    if assign or status == Status.ASSIGNED:
        assign_ticket(ticket, team=None, assignee=staff, actor=staff, now=now)
    for step in PATHS[status]:
        if ticket.status == step:
            continue
        closure = SUMMARY if step in (Status.RESOLVED, Status.PENDING_CONFIRMATION) else None
        change_status(ticket, to_status=step, actor=staff, now=now, closure=closure)


def _attempt(ticket: Ticket, target: Status, *, actor: User, now: datetime) -> ActionError | None:
    """Try the move with the inputs a real caller gives it; undo it; return the refusal, if any."""
    closure = None
    if not actor.is_requester and target in (Status.RESOLVED, Status.PENDING_CONFIRMATION):
        closure = SUMMARY
    try:
        with transaction.atomic():
            change_status(ticket, to_status=target, actor=actor, now=now, reason="Still broken", closure=closure)
            raise _Rollback
    except _Rollback:
        return None
    except (ActionError, ValidationFailed) as exc:
        return exc if isinstance(exc, ActionError) else ActionError(str(exc))
    finally:
        ticket.refresh_from_db()


@pytest.fixture
def cast(service_desk: Team, second_line: Team) -> dict[str, User]:
    org = factories.make_organization("Shared Org", shares_tickets=True)
    other = Organization.objects.create(name="Other Org")
    return {
        "owner": factories.make_user("owner", organization=org),
        "colleague": factories.make_user("colleague", organization=org),
        "outsider": factories.make_user("stranger", organization=other),
        "agent": factories.make_user("agent", role=Role.AGENT, teams=[service_desk]),
        "lead": factories.make_user("lead", role=Role.TEAM_LEAD, lead_of=[service_desk]),
        "engineer": factories.make_user("engineer", role=Role.ENGINEER, teams=[second_line]),
        "manager": factories.make_user("manager", role=Role.MANAGER),
        "auditor": factories.make_user("auditor", role=Role.QA_AUDITOR),
    }


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from(list(Status)),
    assign=st.booleans(),
    persona=st.sampled_from(PERSONAS),
    hours_later=st.one_of(st.integers(0, 48), st.integers(24 * 5, 24 * 10)),
)
def test_every_advertised_move_succeeds_and_every_other_move_is_refused(
    cast: dict[str, User], status: Status, assign: bool, persona: str, hours_later: int
) -> None:
    ticket = factories.make_ticket(cast["owner"], now=START)
    _reach(ticket, status, staff=cast["agent"], assign=assign, now=START)
    actor = cast[persona]
    now = START + timedelta(hours=hours_later)

    advertised = set(allowed_transitions(ticket, actor=actor, now=now))

    for target in Status:
        refusal = _attempt(ticket, target, actor=actor, now=now)
        if target in advertised:
            assert refusal is None, f"{persona} was offered {ticket.status}→{target} but refused: {refusal}"
        else:
            assert refusal is not None, f"{persona} was not offered {ticket.status}→{target}, yet it succeeded"
