"""The login page, the landing page and logout, through the real URLs and templates."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.models import Team, User
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '<script>alert("name")</script>'


def log_in(client: Client, username: str, password: str) -> object:
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_renders_a_form_with_csrf_protection(db: None) -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_anonymous_visitors_are_sent_to_the_login_page(db: None) -> None:
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_wrong_password_shows_an_error_and_does_not_log_in(requester: User) -> None:
    client = Client()

    response = log_in(client, "requester", "not-the-password")

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_requester_logs_in_and_lands_in_the_portal(requester: User, service_desk: Team) -> None:
    factories.make_ticket(requester)
    client = Client()

    response = log_in(client, "requester", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/", follow=True)
    html = home.content.decode()
    assert home.redirect_chain[-1][0] == "/portal/"
    assert home.status_code == 200
    assert "requester" in html
    assert "Printer on floor 3 prints blank pages" in html  # the list of my requests


def test_admins_land_in_the_workspace_with_a_link_to_the_admin(db: None) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)

    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/desk/"
    assert 'href="/admin/"' in response.content.decode()


def test_html_in_the_display_name_is_escaped_on_the_landing_page(requester: User) -> None:
    requester.display_name = HOSTILE_NAME
    requester.save(update_fields=["display_name"])
    client = Client()
    client.force_login(requester)

    html = client.get("/", follow=True).content.decode()

    assert HOSTILE_NAME not in html
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in html


def test_html_in_a_ticket_title_is_escaped_in_the_admin(requester: User, service_desk: Team) -> None:
    ticket = factories.make_ticket(requester, title=HOSTILE_NAME, description=HOSTILE_NAME)
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(admin)

    listing = client.get("/admin/tickets/ticket/")
    detail = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")

    for response in (listing, detail):
        assert response.status_code == 200
        html = response.content.decode()
        assert HOSTILE_NAME not in html
        assert "&lt;script&gt;" in html


def test_logout_ends_the_session(requester: User) -> None:
    client = Client()
    client.force_login(requester)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302


def test_logout_by_get_is_refused_so_links_cannot_log_people_out(requester: User) -> None:
    client = Client()
    client.force_login(requester)

    assert client.get("/logout/").status_code == 405
    assert client.get("/", follow=True).redirect_chain[-1][0] == "/portal/"  # still signed in


def test_login_form_needs_the_csrf_token(requester: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = log_in(client, "requester", PASSWORD)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_lock_the_login_page_with_429(db: None, requester: User) -> None:
    client = Client()
    for attempt in range(5):
        log_in(client, "requester", f"wrong-{attempt}")

    response = log_in(client, "requester", PASSWORD)

    assert response.status_code == 429
    assert 'role="alert"' in response.content.decode()  # the login page, with its error
    assert "_auth_user_id" not in client.session
