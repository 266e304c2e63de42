"""The workspace's workforce parts: the presence switch, the team board, co-signing, the assignment explanation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.tickets.actions import assign_ticket
from sopdesk.tickets.models import Ticket
from sopdesk.workforce import actions as workforce
from sopdesk.workforce.models import Absence, AgentProfile
from sopdesk.workforce.tests.conftest import make_agent

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_agent_switches_to_away_from_the_header(agent: User) -> None:
    client = client_for(agent)
    assert "Available" in client.get("/desk/presence/").content.decode()

    response = client.post("/desk/presence/", {"presence": "away", "next": "/desk/"})

    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert AgentProfile.objects.get(user=agent).presence == "away"


def test_the_header_switch_answers_htmx_with_itself(agent: User) -> None:
    response = client_for(agent).post("/desk/presence/", {"presence": "offline"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="presence-switch"' in response.content.decode()
    assert "Team board" not in response.content.decode()  # agents lead no team


def test_every_workspace_page_loads_the_presence_switch(agent: User) -> None:
    assert 'hx-get="/desk/presence/' in client_for(agent).get("/desk/").content.decode()


def test_a_lead_sees_presence_load_and_absences_of_their_team(
    team_lead: User, agent: User, requester: User, service_desk: Team
) -> None:
    now = timezone.now()
    workforce.update_profile(actor=team_lead, agent=agent, capacity=4, calendar=None, now=now)
    workforce.add_absence(
        actor=agent, agent=agent, starts_at=now, ends_at=now + timedelta(hours=3), reason="Dentist", now=now
    )
    ticket = factories.make_ticket(requester)
    assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=now)

    page = client_for(team_lead).get("/desk/teams/").content.decode()

    assert "Service Desk" in page
    assert "1 / 4" in page
    assert "Dentist" in page
    assert 'data-width="25"' in page


def test_agents_see_no_board_and_other_teams_boards_are_not_found(
    agent: User, team_lead: User, second_line: Team
) -> None:
    assert "You lead no team." in client_for(agent).get("/desk/teams/").content.decode()
    assert client_for(team_lead).get("/desk/teams/second-line/").status_code == 404


def test_taking_a_ticket_without_certification_asks_for_a_co_signer_on_the_page(
    requester: User, service_desk: Team, manager: User
) -> None:
    workforce.set_team_assignment(
        actor=manager,
        team=service_desk,
        strategy="manual",
        backup_team=None,
        requires_certification=True,
        now=timezone.now(),
    )
    trainee = make_agent("trainee", service_desk, certified=False)
    mentor = make_agent("mentor", service_desk)
    ticket = factories.make_ticket(requester)
    client = client_for(trainee)

    refused = client.post(f"/desk/tickets/{ticket.number}/take/", {"version": ticket.version})
    taken = client.post(
        f"/desk/tickets/{ticket.number}/take/", {"version": ticket.version, "cosigner": mentor.username}
    )

    assert refused.status_code == 422
    assert "co-signer" in refused.content.decode()
    assert taken.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).assignee == trainee


def test_the_timeline_explains_an_automatic_assignment(requester: User, service_desk: Team, manager: User) -> None:
    workforce.set_team_assignment(
        actor=manager,
        team=service_desk,
        strategy="least_loaded",
        backup_team=None,
        requires_certification=True,
        now=timezone.now(),
    )
    wang = make_agent("wang", service_desk, capacity=10)
    ticket = factories.make_ticket(requester)
    assert ticket.assignee == wang

    page = client_for(manager).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert "Assigned automatically" in page
    assert "Assigned to wang by Least loaded: 0 of 10 open tickets." in page


def test_an_absence_today_shows_on_the_board_and_keeps_the_agent_from_new_tickets(
    team_lead: User, service_desk: Team, requester: User
) -> None:
    away = make_agent("away", service_desk)
    now = timezone.now()
    Absence.objects.create(agent=away, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))

    page = client_for(team_lead).get(f"/desk/teams/{service_desk.code}/").content.decode()

    assert "Absent" in page


def test_the_board_page_costs_the_same_statements_for_three_members_or_thirty(
    team_lead: User, service_desk: Team
) -> None:
    client = client_for(team_lead)
    assert client.get("/desk/teams/").status_code == 200  # warm the caches

    def statements(members: int) -> int:
        for index in range(AgentProfile.objects.count(), members):
            make_agent(f"member{index}", service_desk)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/desk/teams/").status_code == 200
        return len(context.captured_queries)

    assert statements(3) == statements(30)
