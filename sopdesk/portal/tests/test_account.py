"""The profile page and the forgotten-password flow."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import NotificationKind
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_comment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def _client(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _profile(**changes: Any) -> dict[str, Any]:
    data = {
        "display_name": "Alice Zhang",
        "email": "alice@example.com",
        "phone": "+86 138 0000 0000",
        "language": "zh-hans",
        "time_zone": "Europe/Berlin",
        "email_kinds": [NotificationKind.REQUEST_RECEIVED],
    }
    return {**data, **changes}


def test_the_profile_changes_name_contact_language_time_zone_and_mail_choices(requester: User) -> None:
    response = _client(requester).post("/portal/profile/", _profile())
    assert response.status_code == 302
    requester.refresh_from_db()
    assert (requester.display_name, requester.email, requester.phone) == (
        "Alice Zhang",
        "alice@example.com",
        "+86 138 0000 0000",
    )
    assert (requester.language, requester.time_zone) == ("zh-hans", "Europe/Berlin")
    assert requester.email_muted_kinds == [NotificationKind.TICKET_EVENT]
    assert response.cookies["django_language"].value == "zh-hans"


def test_a_muted_kind_reaches_the_inbox_but_not_the_mailbox(requester: User, agent: User) -> None:
    _client(requester).post("/portal/profile/", _profile(email_kinds=[NotificationKind.REQUEST_RECEIVED]))
    requester.refresh_from_db()
    ticket = factories.make_ticket(requester)
    add_comment(ticket, actor=agent, body="Please restart the router.", is_internal=False, now=timezone.now())
    assert requester.notifications.filter(kind=NotificationKind.TICKET_EVENT).exists()
    # Only the acknowledgement (a kind still wanted) is mailed; the reply stays in the inbox.
    (mail,) = OutboxMessage.objects.filter(recipient=requester)
    assert ticket.number in mail.subject
    assert "restart the router" not in mail.body


def test_bad_profile_input_is_refused_next_to_the_field(requester: User) -> None:
    response = _client(requester).post("/portal/profile/", _profile(email="not-an-address", time_zone="Mars/Base"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_email_error"' in page
    assert 'id="id_time_zone_error"' in page
    requester.refresh_from_db()
    assert requester.email == "requester@example.com"


def test_the_profile_renders_hostile_names_as_text(requester: User) -> None:
    requester.display_name = "<img src=x onerror=alert(1)>"
    requester.save(update_fields=["display_name"])
    page = _client(requester).get("/portal/profile/").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_staff_may_use_the_profile_too(agent: User) -> None:
    client = _client(agent)
    assert client.get("/portal/profile/").status_code == 200
    assert client.post("/portal/profile/", _profile(display_name="Agent Li")).status_code == 302
    agent.refresh_from_db()
    assert agent.display_name == "Agent Li"


def test_visitors_must_log_in_for_the_profile(db: None) -> None:
    assert _client().get("/portal/profile/")["Location"].startswith("/login/")


def test_the_login_page_links_to_the_password_reset(db: None) -> None:
    assert 'href="/password/reset/"' in _client().get("/login/").content.decode()


def test_a_password_reset_mail_lets_the_person_choose_a_new_password(requester: User) -> None:
    client = _client()
    response = client.post("/password/reset/", {"email": "REQUESTER@example.com"})
    assert response["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["requester@example.com"]
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long new password 42", "new_password2": "a-long new password 42"},
    )
    assert done["Location"] == "/password/reset/done/"
    requester.refresh_from_db()
    assert requester.check_password("a-long new password 42")
    assert "invalid or was already used" in client.get(link.group(1), follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db: None) -> None:
    response = _client().post("/password/reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/password/reset/sent/"
    assert mail.outbox == []


def test_one_address_is_mailed_at_most_the_limit_per_hour(requester: User, settings: Any) -> None:
    settings.SOPDESK_PASSWORD_RESET_LIMIT = 2
    client = _client()
    answers = [client.post("/password/reset/", {"email": "requester@example.com"})["Location"] for _ in range(4)]
    assert answers == ["/password/reset/sent/"] * 4
    assert len(mail.outbox) == 2


def test_a_malformed_address_is_refused_next_to_the_field(db: None) -> None:
    response = _client().post("/password/reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()
