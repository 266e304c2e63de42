"""The casework admin: records are read-only and their views are logged; canned responses save through the actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.casework import actions
from sopdesk.casework.models import CannedResponse
from sopdesk.testing import factories
from sopdesk.tickets.models import TicketAccessLog

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(db: None) -> Client:
    admin = factories.make_user("root", role=Role.ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


def test_a_record_page_is_read_only_and_logged(
    admin_client: Client, requester: User, agent: User, service_desk: Team
) -> None:
    ticket = factories.make_ticket(requester)
    plan = actions.propose_solution_plan(ticket, actor=agent, steps="s", rollback_plan="r", now=NOW)

    page = admin_client.get(f"/admin/casework/solutionplan/{plan.pk}/change/")
    posted = admin_client.post(f"/admin/casework/solutionplan/{plan.pk}/change/", {"steps": "changed"})

    assert page.status_code == 200
    assert b'name="steps"' not in page.content
    assert posted.status_code == 403
    assert TicketAccessLog.objects.filter(ticket=ticket, via="admin").exists()


def test_an_admin_creates_a_team_response_through_the_action(admin_client: Client, service_desk: Team) -> None:
    form = {
        "title": "Received",
        "body": "{requester_name}",
        "language": "en",
        "team": service_desk.pk,
        "is_active": "on",
    }

    created = admin_client.post("/admin/casework/cannedresponse/add/", form)

    assert created.status_code == 302, created.content
    response = CannedResponse.objects.get()
    assert (response.team, response.owner, response.created_by.username) == (service_desk, None, "root")


def test_an_unknown_variable_is_shown_at_the_body_field(admin_client: Client) -> None:
    form = {"title": "Received", "body": "Dear {customer}", "language": "en", "is_active": "on"}

    page = admin_client.post("/admin/casework/cannedresponse/add/", form)

    assert page.status_code == 200
    assert "Unknown variable {customer}" in page.context["adminform"].form.errors["body"][0]
    assert not CannedResponse.objects.exists()


def test_a_change_in_the_admin_goes_through_the_action(admin_client: Client, agent: User) -> None:
    response = actions.create_canned_response(actor=agent, title="t", body="b", language="en", now=NOW - timedelta(1))

    # The owner's personal response: an administrator may not change it.
    page = admin_client.post(
        f"/admin/casework/cannedresponse/{response.pk}/change/", {"title": "x", "body": "b", "language": "en"}
    )

    assert page.status_code == 403
    response.refresh_from_db()
    assert response.title == "t"
