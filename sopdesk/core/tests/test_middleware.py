from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.models import User
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@override_settings(SOPDESK_ATTACHMENT_MAX_BYTES=1000)
def test_an_upload_declaring_more_than_the_limit_is_refused_before_it_is_read() -> None:
    response = Client().post(
        "/api/v1/tickets/TS-2026-000001/attachments",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=B",
        CONTENT_LENGTH=str(1000 + 1024 * 1024 + 1),
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The upload is too large; the limit is 1000\xa0bytes.",
        "errors": [{"field": "file", "message": "The upload is too large; the limit is 1000\xa0bytes."}],
    }


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_json_body_above_the_limit_gets_the_api_error_format(requester: User, api_client: ApiClientFactory) -> None:
    body = json.dumps({"title": "x" * 2000})

    response = api_client(requester).post("/api/v1/tickets", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    message = "The request body is too large; the limit is 1000\xa0bytes."
    assert response.json() == {"detail": message, "errors": [{"field": None, "message": message}]}
    assert not Ticket.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_form_post_above_the_limit_outside_the_api_gets_plain_text(db: None) -> None:
    body = f"username={'x' * 2000}&password=x"
    response = Client().post("/login/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@override_settings(SOPDESK_ATTACHMENT_MAX_BYTES=1000)
def test_a_request_within_the_limit_passes_through() -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401


# --- Cache-Control: no-store and Content-Security-Policy ------------------------------------


@pytest.fixture
def ticket_with_attachment(requester: User, agent: User) -> Ticket:
    ticket = factories.make_ticket(requester)
    add_attachment(ticket, actor=agent, upload=SimpleUploadedFile("a.txt", b"a"), is_internal=False, now=timezone.now())
    return ticket


def test_every_api_answer_is_no_store(
    ticket_with_attachment: Ticket, agent: User, api_client: ApiClientFactory
) -> None:
    client = api_client(agent)
    number = ticket_with_attachment.number
    attachment = ticket_with_attachment.attachments.get()
    for path in (
        "/api/v1/me",
        "/api/v1/tickets",
        f"/api/v1/tickets/{number}",
        f"/api/v1/tickets/{number}/events",
        f"/api/v1/tickets/{number}/attachments",
        f"/api/v1/tickets/{number}/attachments/{attachment.pk}",
        "/api/v1/tickets/TS-1999-000001",  # a 404
    ):
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
    assert "no-store" in Client().get("/api/v1/me")["Cache-Control"]  # a 401 too


def test_admin_ticket_pages_are_no_store(ticket_with_attachment: Ticket) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    attachment = ticket_with_attachment.attachments.get()
    for path in (
        reverse("admin:tickets_ticket_changelist"),
        reverse("admin:tickets_ticket_change", args=[ticket_with_attachment.pk]),
        reverse("admin:tickets_attachment_change", args=[attachment.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_static_files_stay_cacheable(requester: User) -> None:
    client = Client()
    client.force_login(requester)
    response = client.get("/static/web/base.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_html_pages_carry_a_strict_content_security_policy(requester: User) -> None:
    for response in (Client().get(reverse("web:login")), Client().get(reverse("admin:login"))):
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_attachment_downloads_keep_their_own_sandbox_policy(
    ticket_with_attachment: Ticket, agent: User, api_client: ApiClientFactory
) -> None:
    attachment = ticket_with_attachment.attachments.get()
    response = api_client(agent).get(f"/api/v1/tickets/{ticket_with_attachment.number}/attachments/{attachment.pk}")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


# --- the user's time zone -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "2026-03-01 20:00"),  # UTC-5 in March
        ("", "2026-03-02 09:00"),  # the desk's zone (Asia/Shanghai)
        ("Mars/Olympus_Mons", "2026-03-02 09:00"),  # unknown since it was chosen: the desk's zone
    ],
)
def test_pages_show_times_in_the_users_own_time_zone(requester: User, agent: User, zone: str, shown: str) -> None:
    ticket = factories.make_ticket(requester, now=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    User.objects.filter(pk=agent.pk).update(time_zone=zone)
    client = Client()
    client.force_login(agent)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert page.count(shown) >= 1
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"  # nothing leaks past the request
