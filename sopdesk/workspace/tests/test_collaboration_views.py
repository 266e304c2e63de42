"""The collaboration parts of the workspace: "Ask another team" on the ticket page and each team's inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.collaboration import actions as collaboration
from sopdesk.collaboration.choices import CollaborationState, WayOfWorking
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.testing import factories
from sopdesk.tickets import actions as ticket_actions
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("t")</script>'


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ticket(requester: User, agent: User) -> Ticket:
    return factories.make_ticket(requester)


def ask(ticket: Ticket, agent: User, team: Team, needed: str = "Check the VLAN") -> CollaborationRequest:
    now = timezone.now()
    return collaboration.request_collaboration(
        ticket,
        actor=agent,
        to_team=team,
        needed=needed,
        deliverable="VLAN fixed",
        deadline_at=now + timedelta(days=2),
        way_of_working=WayOfWorking.JOINT,
        now=now,
    )


def test_an_agent_asks_another_team_from_the_ticket_page(ticket: Ticket, agent: User, second_line: Team) -> None:
    client = client_for(agent)
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert 'id="ask-another-team"' in page
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/desk/tickets/{ticket.number}/collaborate/",
        {
            "to_team": "second-line",
            "needed": "Check the VLAN",
            "deliverable": "VLAN fixed",
            "deadline_at": deadline,
            "way_of_working": "hand_over",
        },
    )
    assert response.status_code == 302
    request = CollaborationRequest.objects.get(ticket=ticket)
    assert request.to_team == second_line
    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert f'id="collaboration-{request.pk}"' in page
    assert "Withdraw the request" in page


def test_a_refused_request_shows_the_reason_next_to_the_field_and_keeps_the_text(
    ticket: Ticket, agent: User, service_desk: Team
) -> None:
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(agent).post(
        f"/desk/tickets/{ticket.number}/collaborate/",
        {
            "to_team": "service-desk",
            "needed": "Keep this text",
            "deliverable": "x",
            "deadline_at": deadline,
            "way_of_working": "hand_over",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The ticket is with this team already." in html
    assert "Keep this text" in html
    assert not CollaborationRequest.objects.exists()


def test_the_receiving_team_works_the_request_from_its_inbox(
    ticket: Ticket, agent: User, engineer: User, second_line: Team
) -> None:
    request = ask(ticket, agent, second_line, needed=HOSTILE)
    client = client_for(engineer)
    assert client.get("/desk/collaboration/")["Location"] == "/desk/collaboration/second-line/"
    inbox = client.get("/desk/collaboration/second-line/").content.decode()
    assert f'id="collaboration-{request.pk}"' in inbox
    assert HOSTILE not in inbox  # escaped
    assert "Accept" in inbox
    step = f"/desk/collaboration/requests/{request.pk}/"
    back = "/desk/collaboration/second-line/"
    assert client.post(step + "reject/", {"text": "", "next": back}).status_code == 302
    request.refresh_from_db()
    assert request.state == CollaborationState.REQUESTED  # a rejection needs a reason
    # A step the action refuses comes back open with what was typed (a control character slipped in).
    assert client.post(step + "reject/", {"text": "Not ours after all\x07", "next": back}).status_code == 302
    kept = client.get(back).content.decode()
    assert ">Not ours after all\x07</textarea>" in kept
    assert "Not ours after all" not in client.get(back).content.decode()  # kept for the next page only
    request.refresh_from_db()
    assert request.state == CollaborationState.REQUESTED
    client.post(step + "accept/", {"text": "", "next": back})
    client.post(step + "progress/", {"text": "Half way", "next": back})
    client.post(step + "deliver/", {"text": "Done", "next": back})
    request.refresh_from_db()
    assert request.state == CollaborationState.DELIVERED
    # The asking side confirms on the ticket page.
    assert (
        client_for(agent).post(step + "confirm/", {"text": "", "next": f"/desk/tickets/{ticket.number}/"})["Location"]
        == f"/desk/tickets/{ticket.number}/"
    )
    request.refresh_from_db()
    assert request.state == CollaborationState.CONFIRMED


def test_outsiders_and_other_teams_cannot_read_or_answer(
    ticket: Ticket, agent: User, engineer: User, second_line: Team, outsider: User
) -> None:
    cloud = factories.make_team("cloud")
    request = ask(ticket, agent, cloud)
    client = client_for(engineer)
    assert client.get("/desk/collaboration/cloud/").status_code == 404
    assert client.post(f"/desk/collaboration/requests/{request.pk}/accept/", {"text": ""}).status_code == 404
    assert client_for(outsider).get("/desk/collaboration/second-line/").status_code == 302  # requesters leave
    # The asking agent sees the request but may not answer it for the other team.
    client_for(agent).post(f"/desk/collaboration/requests/{request.pk}/accept/", {"text": ""})
    request.refresh_from_db()
    assert request.state == CollaborationState.REQUESTED


def test_the_inbox_costs_the_same_queries_for_few_and_many_requests(
    requester: User, agent: User, engineer: User, second_line: Team
) -> None:
    client = client_for(engineer)

    def queries_for(total: int) -> int:
        for index in range(total):
            ask(factories.make_ticket(requester, title=f"T{index}"), agent, second_line)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/desk/collaboration/second-line/").status_code == 200
        return len(context.captured_queries)

    assert queries_for(2) == queries_for(10)


def test_a_resolved_ticket_offers_no_new_request(ticket: Ticket, agent: User) -> None:
    closure = ticket_actions.ClosureSummary(problem="p", diagnosis="d", solution="s")
    ticket_actions.change_status(ticket, to_status="resolved", actor=agent, now=timezone.now(), closure=closure)
    page = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert 'id="ask-another-team"' not in page
