"""HTTP-level tests of authentication (tokens, sessions, lockout) and GET /api/v1/me."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.actions import issue_token, revoke_token
from sopdesk.accounts.models import ApiToken, User
from sopdesk.testing.factories import PASSWORD
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
REVOKE_URL = "/api/v1/auth/token/revoke"
ME_URL = "/api/v1/me"


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["errors"]]


def ask_token(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        TOKEN_URL, {"username": username, "password": password, **extra}, content_type="application/json"
    )


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- POST /api/v1/auth/token -------------------------------------------------------------


def test_token_is_created_with_201_and_authenticates_the_user(requester: User) -> None:
    response = ask_token(Client(), "requester", PASSWORD, name="my script")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("sdk_")
    assert body["expires_at"]
    me = bearer(body["token"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == "requester"


def test_token_is_stored_hashed_with_its_name(requester: User) -> None:
    raw = ask_token(Client(), "requester", PASSWORD, name="backup job").json()["token"]

    token = ApiToken.objects.get(user=requester)
    assert token.name == "backup job"
    assert raw not in {token.key_hash, token.prefix}
    assert raw.startswith(token.prefix)


def test_a_token_exchange_opens_no_browser_session(requester: User) -> None:
    client = Client()
    response = ask_token(client, "requester", PASSWORD)

    assert response.status_code == 201, response.content
    # No session row, and no cookie that a cookie-keeping script would send back on every request.
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
    # The exchange still counts as a login (last_login, as after the web login).
    requester.refresh_from_db()
    assert requester.last_login is not None


def test_wrong_password_is_401_naming_the_password(requester: User) -> None:
    response = ask_token(Client(), "requester", "not-the-password")

    assert response.status_code == 401
    assert fields_of(response) == ["password"]
    assert not ApiToken.objects.exists()


def test_unknown_user_gets_the_same_401_as_a_wrong_password(db: None) -> None:
    response = ask_token(Client(), "nobody", "whatever")

    assert response.status_code == 401
    assert fields_of(response) == ["password"]


def test_inactive_user_cannot_get_a_token(requester: User) -> None:
    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert ask_token(Client(), "requester", PASSWORD).status_code == 401


def test_repeated_failed_logins_lock_the_account_out_with_429(db: None, requester: User) -> None:
    client = Client()
    statuses = [ask_token(client, "requester", f"wrong-{attempt}").status_code for attempt in range(4)]
    assert statuses == [401, 401, 401, 401]

    fifth = ask_token(client, "requester", "wrong-5")  # reaches AXES_FAILURE_LIMIT
    assert fifth.status_code == 429
    assert fields_of(fifth) == ["username"]
    locked = ask_token(client, "requester", PASSWORD)

    assert locked.status_code == 429
    assert fields_of(locked) == ["username"]
    assert not ApiToken.objects.exists()


def test_lockout_of_one_username_does_not_lock_out_another(db: None, requester: User, agent: User) -> None:
    client = Client()
    for attempt in range(6):
        ask_token(client, "requester", f"wrong-{attempt}")

    assert ask_token(client, "agent", PASSWORD).status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "", "password": "x"}, "username"),
        ({"username": "requester"}, "password"),
        ({"username": "requester", "password": "x", "scope": "admin"}, "scope"),
        ({"username": "requester\x00", "password": "x"}, "username"),
        ({"username": "requester", "password": PASSWORD, "name": "job\x00"}, "name"),
        ({"username": "requester", "password": PASSWORD, "name": "x" * 101}, "name"),
        ({"username": "u" * 151, "password": "x"}, "username"),
    ],
)
def test_invalid_token_requests_are_422_naming_the_field(requester: User, payload: dict[str, Any], field: str) -> None:
    response = Client().post(TOKEN_URL, payload, content_type="application/json")

    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert not ApiToken.objects.exists()


def test_token_name_with_html_is_stored_verbatim(requester: User) -> None:
    response = ask_token(Client(), "requester", PASSWORD, name="<script>alert(1)</script>")

    assert response.status_code == 201
    assert ApiToken.objects.get().name == "<script>alert(1)</script>"


# --- bearer tokens: revoked, expired, malformed -------------------------------------------


def test_revoke_endpoint_revokes_the_token_it_was_called_with(requester: User) -> None:
    raw = ask_token(Client(), "requester", PASSWORD).json()["token"]
    client = bearer(raw)

    assert client.post(REVOKE_URL).status_code == 204
    assert client.get(ME_URL).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_revoking_one_token_keeps_the_others(requester: User) -> None:
    first = issue_token(user=requester, now=timezone.now())
    second = issue_token(user=requester, now=timezone.now())

    assert bearer(first.raw).post(REVOKE_URL).status_code == 204
    assert bearer(second.raw).get(ME_URL).status_code == 200


def test_revoked_token_is_401(requester: User) -> None:
    issued = issue_token(user=requester, now=timezone.now())
    revoke_token(issued.token, now=timezone.now())

    response = bearer(issued.raw).get(ME_URL)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_expired_token_is_401(requester: User) -> None:
    issued = issue_token(user=requester, now=timezone.now() - timedelta(days=2), ttl=timedelta(days=1))

    assert bearer(issued.raw).get(ME_URL).status_code == 401


def test_token_of_a_deactivated_user_is_401(requester: User) -> None:
    issued = issue_token(user=requester, now=timezone.now())
    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert bearer(issued.raw).get(ME_URL).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer sdk_not-a-real-token", "Bearer not-even-the-prefix", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_malformed_credentials_are_401(db: None, header: str) -> None:
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()

    for response in (client.get(ME_URL), client.get("/api/v1/tickets")):
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")


def test_unauthenticated_writes_are_401_and_change_nothing(db: None) -> None:
    response = Client().post("/api/v1/tickets", {"title": "x"}, content_type="application/json")

    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_revoke_without_a_bearer_token_is_401(requester: User) -> None:
    client = Client()
    client.force_login(requester)

    response = client.post(REVOKE_URL)

    assert response.status_code == 401


def test_revoke_without_any_credentials_is_401(db: None) -> None:
    assert Client().post(REVOKE_URL).status_code == 401


# --- session authentication -------------------------------------------------------------


def test_session_works_for_reads(requester: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)

    assert client.get(ME_URL).json()["username"] == "requester"


def test_session_write_without_csrf_token_is_refused(requester: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)

    response = client.post("/api/v1/tickets", {"title": "Forged"}, content_type="application/json")

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_session_write_with_a_wrong_csrf_token_is_refused(requester: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    client.get("/login/")  # sets the CSRF cookie

    response = client.post(
        "/api/v1/tickets", {"title": "Forged"}, content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32
    )

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_session_write_with_csrf_token_is_accepted(requester: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/tickets", {"title": "From the browser"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )

    assert response.status_code == 201, response.content


def test_session_of_a_deactivated_user_is_401(requester: User) -> None:
    client = Client()
    client.force_login(requester)
    User.objects.filter(pk=requester.pk).update(is_active=False)

    assert client.get(ME_URL).status_code == 401


# --- GET /api/v1/me -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "role", "is_staff_member", "organization", "teams"),
    [
        ("requester", "requester", False, "Org A", []),
        ("outsider", "requester", False, "Org B", []),
        ("agent", "agent", True, None, ["service-desk"]),
        ("team_lead", "team_lead", True, None, ["service-desk"]),
        ("manager", "manager", True, None, []),
        ("auditor", "qa_auditor", True, None, []),
    ],
)
def test_me_describes_each_persona(
    request: pytest.FixtureRequest,
    api_client: ApiClientFactory,
    persona: str,
    role: str,
    is_staff_member: bool,
    organization: str | None,
    teams: list[str],
) -> None:
    user: User = request.getfixturevalue(persona)

    response = api_client(user).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["role"] == role
    assert body["is_staff_member"] is is_staff_member
    assert body["organization"] == organization
    assert [team["code"] for team in body["teams"]] == teams


def test_me_returns_html_in_the_display_name_as_plain_json_text(requester: User, api_client: ApiClientFactory) -> None:
    requester.display_name = "<img src=x onerror=alert(1)>"
    requester.save(update_fields=["display_name"])

    response = api_client(requester).get(ME_URL)

    assert response["Content-Type"].startswith("application/json")
    assert response.json()["display_name"] == "<img src=x onerror=alert(1)>"
