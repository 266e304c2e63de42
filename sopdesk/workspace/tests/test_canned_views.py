"""Canned-response pages of the workspace through their real URLs, templates and the canned-response actions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, TeamMembership, User
from sopdesk.casework.actions import create_canned_response
from sopdesk.casework.models import CannedResponse
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db

LIST = "/desk/canned/"
NEW = "/desk/canned/new/"
PREVIEW = "/desk/canned/preview/"
HOSTILE = '<script>alert("t")</script><img src=x onerror="alert(1)">'


def client_for(user: User, *, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def canned(
    actor: User, *, title: str = "Received", body: str = "Hello {requester_name}.", language: str = "en", **extra: Team
) -> CannedResponse:
    return create_canned_response(actor=actor, title=title, body=body, language=language, now=timezone.now(), **extra)


def edit_url(response: CannedResponse) -> str:
    return f"/desk/canned/{response.pk}/edit/"


def row_html(html: str, response: CannedResponse) -> str:
    """The list row of `response` (empty when it is not listed)."""
    match = re.search(rf'<tr data-canned-row="{response.pk}".*?</tr>', html, re.DOTALL)
    return match.group(0) if match else ""


def composer_offers(client: Client, number: str) -> list[str]:
    """The titles the ticket page's canned-response picker offers."""
    html = client.get(f"/desk/tickets/{number}/").content.decode()
    picker = re.search(r'<select id="canned-select".*?</select>', html, re.DOTALL)
    return re.findall(r'data-text="[^"]*">([^<]+) \(', picker.group(0)) if picker else []


def form_data(**values: str) -> dict[str, str]:
    return {"title": "Received", "language": "en", "body": "Hello {requester_name}.", "scope": "personal", **values}


@pytest.fixture
def colleague(service_desk: Team) -> User:
    """Another agent of the same team: uses the team's responses, never sees the agent's personal ones."""
    return factories.make_user("colleague", role=Role.AGENT, teams=[service_desk])


# The list


def test_the_list_renders_in_english_and_chinese(agent: User, team_lead: User, service_desk: Team) -> None:
    canned(agent, title="My greeting")
    canned(
        team_lead, title="已受理", body="您好，{requester_name}，工单已受理。", language="zh-hans", team=service_desk
    )

    english = client_for(agent).get(LIST)
    chinese = client_for(agent, language="zh-hans").get(LIST)

    assert english.status_code == chinese.status_code == 200
    english_html, chinese_html = english.content.decode(), chinese.content.decode()
    assert '<h1 class="page-title">Canned responses</h1>' in english_html
    assert "My greeting" in english_html
    assert "已受理" in english_html
    assert "Simplified Chinese" in english_html
    assert '<html lang="zh-hans">' in chinese_html
    assert '<h1 class="page-title">常用回复</h1>' in chinese_html
    assert "简体中文" in chinese_html
    assert "个人" in chinese_html
    assert "Service Desk" in chinese_html


def test_the_list_groups_personal_first_then_each_team(agent: User, team_lead: User, service_desk: Team) -> None:
    team_response = canned(team_lead, title="A team phrase", team=service_desk)
    mine = canned(agent, title="Z my phrase")

    html = client_for(agent).get(LIST).content.decode()

    groups = re.findall(r'<th colspan="5" scope="colgroup">([^<]+)</th>', html)
    assert groups == ["Personal", "Service Desk"]
    assert html.index(row_html(html, mine)) < html.index(row_html(html, team_response))


def test_filters_narrow_the_list_by_scope_language_and_search(agent: User, team_lead: User, service_desk: Team) -> None:
    english = canned(agent, title="Received", body="We got {ticket_number}.")
    chinese = canned(agent, title="已受理", body="您好，{requester_name}。", language="zh-hans")
    team_response = canned(team_lead, title="Team phrase", team=service_desk)
    client = client_for(agent)

    def listed(query: dict[str, str]) -> set[int]:
        html = client.get(LIST, query).content.decode()
        return {int(pk) for pk in re.findall(r'data-canned-row="(\d+)"', html)}

    assert listed({}) == {english.pk, chinese.pk, team_response.pk}
    assert listed({"language": "zh-hans"}) == {chinese.pk}
    assert listed({"scope": "personal"}) == {english.pk, chinese.pk}
    assert listed({"scope": "team"}) == {team_response.pk}
    assert listed({"q": "GOT {ticket"}) == {english.pk}
    assert listed({"q": "nothing like this"}) == set()
    response = client.get(LIST, {"language": "fr"})
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()


def test_edit_and_deactivate_buttons_appear_only_where_the_user_manages_the_response(
    agent: User, team_lead: User, service_desk: Team
) -> None:
    mine = canned(agent, title="Mine")
    shared = canned(team_lead, title="Shared", team=service_desk)

    agent_html = client_for(agent).get(LIST).content.decode()
    lead_html = client_for(team_lead).get(LIST).content.decode()

    assert edit_url(mine) in row_html(agent_html, mine)
    assert "/deactivate/" in row_html(agent_html, mine)
    assert row_html(agent_html, shared)
    assert edit_url(shared) not in row_html(agent_html, shared)
    assert "/deactivate/" not in row_html(agent_html, shared)
    assert edit_url(shared) in row_html(lead_html, shared)
    assert "/deactivate/" in row_html(lead_html, shared)


def test_inactive_responses_are_listed_greyed_only_for_those_who_manage_them(
    agent: User, team_lead: User, service_desk: Team
) -> None:
    shared = canned(team_lead, title="Old phrase", team=service_desk)
    assert client_for(team_lead).post(f"/desk/canned/{shared.pk}/deactivate/").status_code == 302

    lead_row = row_html(client_for(team_lead).get(LIST).content.decode(), shared)
    assert 'class="canned-inactive"' in lead_row
    assert "/activate/" in lead_row
    assert row_html(client_for(agent).get(LIST).content.decode(), shared) == ""


def test_the_list_costs_the_same_queries_for_3_and_30_responses(
    agent: User, team_lead: User, service_desk: Team, second_line: Team
) -> None:
    TeamMembership.objects.create(team=second_line, user=agent)
    client = client_for(agent)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured.captured_queries)

    for index in range(3):
        canned(agent, title=f"Mine {index}")
    canned(team_lead, title="Shared", team=service_desk)
    few = queries_for_list()
    for index in range(27):
        canned(agent if index % 3 else team_lead, title=f"More {index}", team=None if index % 3 else service_desk)
    engineer_lead = factories.make_user("second-lead", role=Role.TEAM_LEAD, lead_of=[second_line])
    canned(engineer_lead, title="Second line", team=second_line)
    many = queries_for_list()

    assert CannedResponse.objects.count() == 32
    assert many == few


# Writing


def test_a_team_lead_creates_a_response_the_team_shares(
    requester: User, agent: User, team_lead: User, service_desk: Team
) -> None:
    client = client_for(team_lead)
    form = client.get(NEW).content.decode()
    assert '<option value="service-desk"' in form

    response = client.post(
        NEW, form_data(title="We are on it", body="{agent_name} is on {ticket_number}.", scope="service-desk")
    )

    assert response.status_code == 302
    assert response["Location"] == LIST
    created = CannedResponse.objects.get()
    assert (created.team, created.owner, created.created_by) == (service_desk, None, team_lead)
    ticket = factories.make_ticket(requester)
    composer = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert f"agent is on {ticket.number}." in composer


def test_a_member_who_does_not_lead_the_team_cannot_write_for_it(agent: User, service_desk: Team) -> None:
    client = client_for(agent)
    assert '<option value="service-desk"' not in client.get(NEW).content.decode()

    response = client.post(NEW, form_data(scope="service-desk"))

    assert response.status_code == 403
    html = response.content.decode()
    assert re.search(r'<select id="id_scope" name="scope" class="form-select is-invalid"', html)
    assert "Only the team&#x27;s leads manage its canned responses." in html
    assert not CannedResponse.objects.exists()


def test_any_staff_member_writes_a_personal_response(agent: User) -> None:
    response = client_for(agent).post(NEW, form_data(title="Mine", language="zh-hans", body="您好 {requester_name}"))

    assert response.status_code == 302
    created = CannedResponse.objects.get()
    assert (created.owner, created.team, created.language, created.title) == (agent, None, "zh-hans", "Mine")


def test_administrators_are_offered_every_active_team(service_desk: Team, second_line: Team) -> None:
    admin = factories.make_user("admin", role=Role.ADMIN)
    Team.objects.filter(pk=second_line.pk).update(is_active=False)

    html = client_for(admin).get(NEW).content.decode()

    assert '<option value="service-desk"' in html
    assert '<option value="second-line"' not in html


def test_action_errors_are_shown_next_to_their_fields_and_the_input_is_kept(agent: User) -> None:
    client = client_for(agent)

    response = client.post(NEW, form_data(title="  ", body="Dear {customer}, ok"))

    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert "Unknown variable {customer}" in html
    assert "Dear {customer}, ok</textarea>" in html
    assert html.count("invalid-feedback") == 2
    assert client.post(NEW, form_data(scope="no-such-team")).status_code == 422
    assert not CannedResponse.objects.exists()


def test_the_owner_edits_a_personal_response(agent: User) -> None:
    mine = canned(agent, title="Old title")
    client = client_for(agent)
    page = client.get(edit_url(mine))
    assert page.status_code == 200
    assert 'value="Old title"' in page.content.decode()

    response = client.post(edit_url(mine), form_data(title="New title", language="zh-hans", body="好的 {ticket_title}"))

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.language, mine.body, mine.owner) == ("New title", "zh-hans", "好的 {ticket_title}", agent)


def test_a_bad_edit_is_refused_with_the_field_named_and_nothing_changes(agent: User) -> None:
    mine = canned(agent)

    response = client_for(agent).post(edit_url(mine), form_data(body="{ticket_number"))

    assert response.status_code == 422
    assert "Unmatched brace" in response.content.decode()
    mine.refresh_from_db()
    assert mine.body == "Hello {requester_name}."


def test_someone_elses_personal_response_is_not_found(agent: User, colleague: User) -> None:
    mine = canned(agent)
    client = client_for(colleague)

    assert client.get(edit_url(mine)).status_code == 404
    assert client.post(edit_url(mine), form_data(title="Taken over")).status_code == 404
    assert client.post(f"/desk/canned/{mine.pk}/deactivate/").status_code == 404
    assert client.get("/desk/canned/999999/edit/").status_code == 404
    mine.refresh_from_db()
    assert (mine.title, mine.is_active) == ("Received", True)


def test_a_member_uses_the_teams_response_but_may_not_change_it(
    agent: User, team_lead: User, service_desk: Team
) -> None:
    shared = canned(team_lead, title="Shared", team=service_desk)
    client = client_for(agent)

    assert client.get(edit_url(shared)).status_code == 403
    assert client.post(edit_url(shared), form_data(title="Changed")).status_code == 403
    assert client.post(f"/desk/canned/{shared.pk}/deactivate/").status_code == 403
    shared.refresh_from_db()
    assert (shared.title, shared.is_active) == ("Shared", True)


def test_deactivating_hides_it_from_the_composer_and_reactivating_brings_it_back(requester: User, agent: User) -> None:
    mine = canned(agent, title="Soon retired")
    canned(agent, title="Kept")
    ticket = factories.make_ticket(requester)
    client = client_for(agent)
    assert composer_offers(client, ticket.number) == ["Kept", "Soon retired"]

    response = client.post(f"/desk/canned/{mine.pk}/deactivate/", {"next": f"{LIST}?language=en"})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?language=en"
    assert "is deactivated" in client.get(response["Location"]).content.decode()
    assert composer_offers(client, ticket.number) == ["Kept"]

    response = client.post(f"/desk/canned/{mine.pk}/activate/", {"next": "https://elsewhere.example/"})

    assert response["Location"] == LIST
    assert composer_offers(client, ticket.number) == ["Kept", "Soon retired"]


def test_an_auditor_sees_the_list_without_buttons_and_every_post_is_refused(
    auditor: User, team_lead: User, service_desk: Team
) -> None:
    TeamMembership.objects.create(team=service_desk, user=auditor)
    shared = canned(team_lead, title="Shared", team=service_desk)
    client = client_for(auditor)

    html = client.get(LIST).content.decode()
    assert "Shared" in row_html(html, shared)
    assert NEW not in html
    assert '<form method="post" action="/desk/canned/' not in html
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert client.post(edit_url(shared), form_data(title="Audited")).status_code == 403
    assert client.post(f"/desk/canned/{shared.pk}/deactivate/").status_code == 403
    assert client.post(PREVIEW, {"body": "x"}).status_code == 403
    shared.refresh_from_db()
    assert (CannedResponse.objects.count(), shared.title, shared.is_active) == (1, "Shared", True)


def test_requesters_and_anonymous_visitors_never_reach_the_pages(requester: User) -> None:
    assert client_for(requester).get(LIST)["Location"] == "/"
    assert Client().get(LIST)["Location"].startswith("/login/")


def test_a_hostile_title_and_body_are_rendered_escaped(agent: User) -> None:
    mine = canned(agent, title=HOSTILE, body=f"{HOSTILE} {{requester_name}}")
    client = client_for(agent)

    for url in (LIST, edit_url(mine)):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in html
    preview = client.post(PREVIEW, {"body": HOSTILE}).content.decode()
    assert "<script>alert" not in preview
    assert "&lt;script&gt;" in preview


# Preview and links


def test_the_preview_fills_in_sample_values_and_names_problems(
    agent: User, team_lead: User, service_desk: Team
) -> None:
    html = (
        client_for(agent)
        .post(
            PREVIEW,
            {"body": "Hi {requester_name}, {agent_name} of {team_name} on {ticket_number}.", "scope": "personal"},
        )
        .content.decode()
    )
    assert re.search(r"Hi Li Wei, agent of Service desk on TS-\d{4}-000042\.", html)

    html = client_for(team_lead).post(PREVIEW, {"body": "{team_name} {oops}", "scope": "service-desk"}).content.decode()
    assert "Service Desk {oops}" in html
    assert "Unknown variable {oops}" in html

    chinese = client_for(agent, language="zh-hans").post(PREVIEW, {"body": "{requester_name}"}).content.decode()
    assert "李伟" in chinese


def test_the_form_shows_the_variables_and_a_preview_of_the_stored_body(agent: User) -> None:
    mine = canned(agent, body="Dear {requester_name}")

    html = client_for(agent).get(edit_url(mine)).content.decode()

    for variable in ("requester_name", "ticket_number", "ticket_title", "agent_name", "team_name"):
        assert f"<code>{{{variable}}}</code>" in html
    assert "Dear Li Wei" in html
    assert 'hx-post="/desk/canned/preview/"' in html


def test_the_navigation_and_the_composer_link_to_the_list(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    assert f'href="{LIST}"' in client.get("/desk/").content.decode()
    assert 'aria-current="page"' in client.get("/desk/queues/counts/?active=canned").content.decode()
    composer = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert f'<a href="{LIST}" id="canned-manage">Manage canned responses…</a>' in composer
    canned(agent)
    composer = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert 'id="canned-manage"' in composer
    assert 'id="canned-select"' in composer
