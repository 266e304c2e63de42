"""Failed-login lockouts: typos, password spraying, distributed guessing, and no cross-site lockouts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from sopdesk.accounts.lockout import failure_limit_of
from sopdesk.accounts.models import ApiToken, User
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
MULTIPART_BODY = '--B\r\nContent-Disposition: form-data; name="username"\r\n\r\nx\r\n--B--\r\n'
ADDRESS_LIMIT = 8
USERNAME_LIMIT = 6


@pytest.fixture(autouse=True)
def _limits(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.SOPDESK_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.SOPDESK_LOGIN_USERNAME_FAILURE_LIMIT = USERNAME_LIMIT


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def ask_token(client: Client, username: str, password: str) -> Any:
    return client.post(TOKEN_URL, {"username": username, "password": password}, content_type="application/json")


def test_each_lockout_parameter_has_its_own_limit() -> None:
    assert failure_limit_of(["username", "ip_address"]) == 5
    assert failure_limit_of("ip_address") == ADDRESS_LIMIT
    assert failure_limit_of("username") == USERNAME_LIMIT


def test_password_spraying_from_one_address_is_locked_out_after_the_address_limit(requester: User) -> None:
    sprayer = from_address("203.0.113.7")
    statuses = [ask_token(sprayer, f"user{n}", "Winter2026!").status_code for n in range(ADDRESS_LIMIT - 1)]
    assert set(statuses) == {401}

    assert ask_token(sprayer, "user-last", "Winter2026!").status_code == 429
    # Even a right password of a real account is refused from that address now ...
    assert ask_token(sprayer, "requester", PASSWORD).status_code == 429
    # ... while the account itself still works from elsewhere.
    assert ask_token(from_address("198.51.100.2"), "requester", PASSWORD).status_code == 201


def test_spraying_below_the_address_limit_is_not_locked_out(requester: User) -> None:
    sprayer = from_address("203.0.113.7")
    for n in range(ADDRESS_LIMIT - 2):
        ask_token(sprayer, f"user{n}", "Winter2026!")

    assert ask_token(sprayer, "requester", PASSWORD).status_code == 201


def test_distributed_guessing_of_one_account_is_locked_out_after_the_username_limit(
    requester: User, agent: User
) -> None:
    for n in range(USERNAME_LIMIT):
        assert ask_token(from_address(f"192.0.2.{n + 1}"), "requester", f"guess-{n}").status_code in {401, 429}

    fresh_address = from_address("198.51.100.99")
    refused = ask_token(fresh_address, "requester", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["field"] == "username"
    # Other accounts are unaffected, from the same fresh address too.
    assert ask_token(fresh_address, "agent", PASSWORD).status_code == 201


def test_a_sprayer_logging_into_their_own_account_does_not_reset_the_address_count(
    requester: User, outsider: User
) -> None:
    sprayer = from_address("203.0.113.7")
    for n in range(ADDRESS_LIMIT - 2):
        ask_token(sprayer, f"user{n}", "Winter2026!")
    assert ask_token(sprayer, "outsider", PASSWORD).status_code == 201  # the sprayer's own account

    ask_token(sprayer, "user-x", "Winter2026!")
    assert ask_token(sprayer, "user-y", "Winter2026!").status_code == 429


def test_a_successful_login_forgets_that_users_typos_from_that_address(requester: User) -> None:
    client = from_address("198.51.100.2")
    for n in range(4):
        ask_token(client, "requester", f"typo-{n}")
    assert ask_token(client, "requester", PASSWORD).status_code == 201

    statuses = [ask_token(client, "requester", f"again-{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 401]


def test_the_web_login_page_counts_towards_the_same_lockouts(requester: User) -> None:
    sprayer = from_address("203.0.113.7")
    for n in range(ADDRESS_LIMIT):
        sprayer.post(reverse("web:login"), {"username": f"user{n}", "password": "Winter2026!"})

    response = sprayer.post(reverse("web:login"), {"username": "requester", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in sprayer.session


# --- no lockout of a victim by a cross-site form post -------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # What an attacker's page can send without a CORS preflight:
        ("text/plain", json.dumps({"username": "requester", "password": "x"})),
        ("application/x-www-form-urlencoded", "username=requester&password=x"),
        ("multipart/form-data; boundary=B", MULTIPART_BODY),
    ],
)
def test_the_token_endpoint_refuses_bodies_that_are_not_json_with_415(
    requester: User, content_type: str, body: str
) -> None:
    client = Client()
    for _ in range(10):
        response = client.post(TOKEN_URL, body, content_type=content_type)
        assert response.status_code == 415
    assert response.json() == {
        "detail": "Send the request body as application/json.",
        "errors": [{"field": None, "message": "Send the request body as application/json."}],
    }
    # Nothing was counted against the victim: no lockout follows.
    assert not AccessAttempt.objects.exists()
    assert ask_token(client, "requester", PASSWORD).status_code == 201


def test_json_with_a_charset_is_accepted(requester: User) -> None:
    body = json.dumps({"username": "requester", "password": PASSWORD})
    response = Client().post(TOKEN_URL, body, content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_a_cross_site_post_of_the_login_form_is_refused_before_any_attempt_is_counted(requester: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    for _ in range(10):
        response = browser.post(reverse("web:login"), {"username": "requester", "password": "wrong"})
        assert response.status_code == 403
    assert not AccessAttempt.objects.exists()


def test_other_json_endpoints_refuse_bodies_that_are_not_json_too(requester: User) -> None:
    ticket = factories.make_ticket(requester)
    raw = (
        Client()
        .post(TOKEN_URL, {"username": "requester", "password": PASSWORD}, content_type="application/json")
        .json()["token"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.post(
        f"/api/v1/tickets/{ticket.number}/comments", json.dumps({"body": "hello"}), content_type="text/plain"
    )

    assert response.status_code == 415
    assert ApiToken.objects.count() == 1


# --- behind the TLS proxy -------------------------------------------------------------------


def behind_proxy(forwarded_for: str) -> Client:
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_the_proxy_clients_are_told_apart_by_the_address_the_proxy_appended(
    settings: Settings, requester: User
) -> None:
    settings.BEHIND_TLS_PROXY = True
    for n in range(ADDRESS_LIMIT):
        ask_token(behind_proxy("203.0.113.7"), f"user{n}", "Winter2026!")

    assert ask_token(behind_proxy("203.0.113.7"), "requester", PASSWORD).status_code == 429
    # Another client behind the same proxy is not locked out with the sprayer.
    assert ask_token(behind_proxy("198.51.100.2"), "requester", PASSWORD).status_code == 201


def test_a_client_cannot_dodge_the_lockout_by_forging_forwarded_addresses(settings: Settings, requester: User) -> None:
    settings.BEHIND_TLS_PROXY = True
    for n in range(ADDRESS_LIMIT):
        # The client sends its own X-Forwarded-For; the proxy appends the real address.
        ask_token(behind_proxy(f"192.0.2.{n}, 203.0.113.7"), f"user{n}", "Winter2026!")

    assert ask_token(behind_proxy("192.0.2.200, 203.0.113.7"), "requester", PASSWORD).status_code == 429


def test_without_the_proxy_setting_forwarded_addresses_are_ignored(requester: User) -> None:
    for n in range(ADDRESS_LIMIT):
        ask_token(behind_proxy(f"192.0.2.{n}"), f"user{n}", "Winter2026!")

    assert ask_token(behind_proxy("198.51.100.2"), "requester", PASSWORD).status_code == 429
