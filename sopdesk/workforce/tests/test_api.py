"""The workforce API: each route calls its action; errors map to 403 / 404 / 422 with field names."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket
from sopdesk.workforce.models import AgentProfile, Certification, TeamAssignment
from sopdesk.workforce.tests.conftest import make_agent

JSON = "application/json"


def test_an_agent_switches_their_presence_and_reads_their_record(api_client: ApiClientFactory, agent: User) -> None:
    client = api_client(agent)

    response = client.post("/api/v1/workforce/presence", {"presence": "away"}, content_type=JSON)

    assert response.status_code == 200
    assert response.json()["presence"] == "away"
    assert AgentProfile.objects.get(user=agent).presence == "away"
    assert client.get(f"/api/v1/workforce/agents/{agent.username}").json()["presence"] == "away"


def test_an_unknown_presence_is_422_with_its_field(api_client: ApiClientFactory, agent: User) -> None:
    response = api_client(agent).post("/api/v1/workforce/presence", {"presence": "asleep"}, content_type=JSON)

    assert response.status_code == 422
    assert "presence" in str(response.json())


def test_a_lead_sets_the_team_strategy_and_sees_the_board(
    api_client: ApiClientFactory, team_lead: User, agent: User, service_desk: Team, second_line: Team
) -> None:
    client = api_client(team_lead)

    response = client.put(
        "/api/v1/workforce/teams/service-desk/assignment",
        {"strategy": "least_loaded", "backup_team": "second-line"},
        content_type=JSON,
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["strategy"], body["backup_team"]) == ("least_loaded", "second-line")
    assert {member["agent"]["username"] for member in body["members"]} == {"agent", "lead"}
    assert TeamAssignment.objects.get(team=service_desk).strategy == "least_loaded"
    assert ConfigChange.objects.filter(object_type="workforce.teamassignment").count() == 1


def test_agents_and_outsiders_are_refused_the_board_and_the_setting(
    api_client: ApiClientFactory, agent: User, outsider: User, service_desk: Team
) -> None:
    for user in (agent, outsider):
        client = api_client(user)
        assert client.get("/api/v1/workforce/teams/service-desk").status_code == 403
        answer = client.put(
            "/api/v1/workforce/teams/service-desk/assignment", {"strategy": "round_robin"}, content_type=JSON
        )
        assert answer.status_code == 403
    assert api_client(agent).get("/api/v1/workforce/teams/no-such-team").status_code == 404


def test_a_backup_group_that_is_the_team_itself_is_422_on_its_field(
    api_client: ApiClientFactory, manager: User, service_desk: Team
) -> None:
    response = api_client(manager).put(
        "/api/v1/workforce/teams/service-desk/assignment",
        {"strategy": "round_robin", "backup_team": "service-desk"},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert "backup_team" in str(response.json())


def test_a_manager_sets_capacity_skills_absence_and_certification(
    api_client: ApiClientFactory, manager: User, agent: User, service_desk: Team
) -> None:
    client = api_client(manager)
    base = f"/api/v1/workforce/agents/{agent.username}"
    now = timezone.now()

    assert client.put(f"{base}/profile", {"capacity": 4}, content_type=JSON).status_code == 200
    assert client.put(f"{base}/skills/network", {"level": 3}, content_type=JSON).status_code == 200
    absence = client.post(
        f"{base}/absences",
        {"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat(), "reason": "Training"},
        content_type=JSON,
    )
    certification = client.post(
        f"{base}/certifications",
        {"team": "service-desk", "passed_on": "2026-01-05", "expires_on": "2027-01-05"},
        content_type=JSON,
    )

    assert absence.status_code == 201
    assert certification.status_code == 201
    record = client.get(base).json()
    assert record["capacity"] == 4
    assert record["skills"] == [{"category": "network", "level": 3}]
    assert record["absences"][0]["reason"] == "Training"
    assert record["certifications"][0]["team"] == "service-desk"
    assert client.delete(f"{base}/skills/network").status_code == 204
    assert client.delete(f"/api/v1/workforce/absences/{record['absences'][0]['id']}").status_code == 204
    assert client.delete(f"/api/v1/workforce/certifications/{record['certifications'][0]['id']}").status_code == 204
    assert not Certification.objects.exists()


def test_an_agent_may_not_change_a_colleagues_capacity(
    api_client: ApiClientFactory, agent: User, engineer: User
) -> None:
    response = api_client(engineer).put(
        f"/api/v1/workforce/agents/{agent.username}/profile", {"capacity": 4}, content_type=JSON
    )

    assert response.status_code == 403


def test_who_qualifies_lists_the_certified_available_agents_under_capacity(
    api_client: ApiClientFactory, manager: User, desk_agents: list[User], strategy
) -> None:  # type: ignore[no-untyped-def]
    strategy("least_loaded")
    AgentProfile.objects.filter(user=desk_agents[1]).update(presence="offline")

    response = api_client(manager).get("/api/v1/workforce/teams/service-desk/qualifying?category=network")

    assert response.status_code == 200
    assert [item["agent"]["username"] for item in response.json()["items"]] == ["ann", "cai"]


def test_assigning_an_uncertified_agent_through_the_api_needs_a_cosigner(
    api_client: ApiClientFactory,
    requester: User,
    team_lead: User,
    service_desk: Team,
    desk_agents: list[User],
    strategy,
) -> None:  # type: ignore[no-untyped-def]
    strategy("manual")
    make_agent("trainee", service_desk, certified=False)
    ticket = factories.make_ticket(requester)
    client = api_client(team_lead)
    url = f"/api/v1/tickets/{ticket.number}/assign"

    refused = client.post(url, {"assignee": "trainee"}, content_type=JSON)
    accepted = client.post(url, {"assignee": "trainee", "cosigner": "ann"}, content_type=JSON)

    assert refused.status_code == 422
    assert "cosigner" in str(refused.json())
    assert accepted.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).assignee.username == "trainee"


def test_the_board_costs_the_same_statements_for_three_members_or_thirty(
    api_client: ApiClientFactory, manager: User, service_desk: Team, requester: User
) -> None:
    client = api_client(manager)
    assert client.get("/api/v1/workforce/teams/service-desk").status_code == 200  # warm the caches

    def statements(members: int) -> int:
        for index in range(AgentProfile.objects.count(), members):
            make_agent(f"member{index}", service_desk)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/api/v1/workforce/teams/service-desk").status_code == 200
        return len(context.captured_queries)

    assert statements(3) == statements(30)


def test_control_characters_in_a_path_are_422_not_a_server_error(api_client: ApiClientFactory, manager: User) -> None:
    client = api_client(manager)

    assert client.get("/api/v1/workforce/agents/bad%00name").status_code == 422
    assert client.get("/api/v1/workforce/teams/bad%00team").status_code == 422
