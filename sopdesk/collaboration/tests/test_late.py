from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.collaboration import actions
from sopdesk.collaboration.calendars import acceptance_due
from sopdesk.collaboration.choices import CollaborationEventKind
from sopdesk.collaboration.late import flag_late_acceptances
from sopdesk.collaboration.tests.conftest import ask
from sopdesk.notifications.models import Notification
from sopdesk.sla import config
from sopdesk.sla.choices import DateKind
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket, TicketEvent

OFFICE = [(day, dt.time(9), dt.time(18)) for day in range(5)]
# Friday 2026-10-09, 15:00 in Shanghai. Saturday 10-10 is a make-up working day in the test calendar.
FRIDAY_1500 = datetime(2026, 10, 9, 7, 0, tzinfo=UTC)


def _team_with_calendar(code: str, *, make_up_saturday: bool) -> Team:
    team = factories.make_team(code)
    calendar = config.create_calendar(code=f"{code}-cal", name=code, working_hours=OFFICE, actor=None, now=FRIDAY_1500)
    if make_up_saturday:
        config.put_calendar_date(
            calendar, date=dt.date(2026, 10, 10), kind=DateKind.WORKING_DAY, actor=None, now=FRIDAY_1500
        )
    actions.set_team_settings(team, actor=None, calendar=calendar, acceptance_working_days=None, now=FRIDAY_1500)
    return team


def test_acceptance_asked_on_friday_is_due_on_monday_across_the_weekend(db: None) -> None:
    team = _team_with_calendar("network", make_up_saturday=False)
    assert acceptance_due(team, requested_at=FRIDAY_1500) == FRIDAY_1500 + timedelta(days=3)


def test_acceptance_counts_a_make_up_saturday_as_a_working_day(db: None) -> None:
    team = _team_with_calendar("network", make_up_saturday=True)
    assert acceptance_due(team, requested_at=FRIDAY_1500) == FRIDAY_1500 + timedelta(days=1)


def test_acceptance_uses_the_teams_own_number_of_days(db: None) -> None:
    team = _team_with_calendar("network", make_up_saturday=False)
    actions.set_team_settings(team, actor=None, calendar=None, acceptance_working_days=2, now=FRIDAY_1500)
    # No calendar of its own: Monday to Friday in the desk's zone; two working days after Friday is Tuesday.
    assert acceptance_due(team, requested_at=FRIDAY_1500) == FRIDAY_1500 + timedelta(days=4)


@pytest.fixture
def network(db: None) -> Team:
    return _team_with_calendar("network", make_up_saturday=False)


def test_a_late_acceptance_is_flagged_once_and_escalates_to_the_leads_of_both_teams(
    ticket: Ticket, agent: User, team_lead: User, network: Team
) -> None:
    network_lead = factories.make_user("network-lead", role=Role.TEAM_LEAD, lead_of=[network])
    request = ask(ticket, agent, network, now=FRIDAY_1500)
    saturday = FRIDAY_1500 + timedelta(days=1)
    assert flag_late_acceptances(now=saturday) == 0  # the weekend does not count
    monday_after_due = FRIDAY_1500 + timedelta(days=3, minutes=1)
    assert flag_late_acceptances(now=monday_after_due) == 1
    assert flag_late_acceptances(now=monday_after_due + timedelta(hours=1)) == 0
    request.refresh_from_db()
    assert request.acceptance_late_at == monday_after_due
    late = TicketEvent.objects.filter(ticket=ticket, kind=CollaborationEventKind.ACCEPTANCE_LATE)
    assert late.count() == 1
    assert late.get().is_internal
    for lead in (team_lead, network_lead):
        assert Notification.objects.filter(recipient=lead, dedupe_key__startswith="collaboration-late:").count() == 1
    # The network lead cannot open the ticket: their notice names it without linking it.
    assert (
        Notification.objects.get(recipient=network_lead, dedupe_key__startswith="collaboration-late:").ticket_id is None
    )
    assert Notification.objects.get(recipient=team_lead, dedupe_key__startswith="collaboration-late:").ticket == ticket
    # A late answer is still possible and stays visible as late.
    actions.accept_request(request, actor=network_lead, note="", now=monday_after_due + timedelta(hours=2))
    assert request.was_accepted_late


def test_an_answered_request_is_never_flagged(ticket: Ticket, agent: User, network: Team, manager: User) -> None:
    request = ask(ticket, agent, network, now=FRIDAY_1500)
    actions.accept_request(request, actor=manager, note="", now=FRIDAY_1500 + timedelta(hours=1))
    assert flag_late_acceptances(now=FRIDAY_1500 + timedelta(days=10)) == 0


def test_the_scan_works_in_batches(ticket: Ticket, agent: User, requester: User) -> None:
    teams = [factories.make_team(f"team-{index}") for index in range(5)]
    for team in teams:
        ask(ticket, agent, team, now=FRIDAY_1500)
    assert flag_late_acceptances(now=FRIDAY_1500 + timedelta(days=5), batch=2) == 5
