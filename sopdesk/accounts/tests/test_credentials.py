"""Disabling an account or changing its password ends every session and API token of that user.

The mechanism lives in `User.save()`, so each path is exercised here through its own front door:
the accounts actions, the admin's user form and password form, `changepassword`, and plain code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from sopdesk.accounts import actions
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import ApiToken, User
from sopdesk.core.validation import ValidationFailed
from sopdesk.testing import factories
from sopdesk.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me"
NEW_PASSWORD = "a-brand-new-passphrase-42"


@dataclass
class Credentials:
    """A browser session and two API tokens of one user, checked through the real API."""

    user: User
    session: Client
    token_clients: list[Client]

    def session_works(self) -> bool:
        return self.session.get(ME_URL).status_code == 200

    def tokens_work(self) -> list[bool]:
        return [client.get(ME_URL).status_code == 200 for client in self.token_clients]


def credentials_of(user: User) -> Credentials:
    session = Client()
    session.force_login(user)
    token_clients = []
    for name in ("laptop", "script"):
        raw = actions.issue_token(user=user, name=name, now=timezone.now()).raw
        token_clients.append(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"))
    held = Credentials(user=user, session=session, token_clients=token_clients)
    assert held.session_works()
    assert held.tokens_work() == [True, True]
    return held


def assert_all_ended(held: Credentials) -> None:
    assert not held.session_works()
    assert held.tokens_work() == [False, False]
    assert not ApiToken.objects.filter(user=held.user, revoked_at__isnull=True).exists()


@pytest.fixture
def held(requester: User) -> Credentials:
    return credentials_of(requester)


@pytest.fixture
def admin_client(db: None) -> Client:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(root)
    return client


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


# --- accounts actions ------------------------------------------------------------------------


def test_deactivating_ends_every_session_and_token(held: Credentials) -> None:
    actions.deactivate_user(fresh(held.user))

    assert_all_ended(held)
    assert fresh(held.user).credentials_revoked_at is not None


def test_reactivating_does_not_bring_old_sessions_or_tokens_back(held: Credentials) -> None:
    actions.deactivate_user(fresh(held.user))
    actions.reactivate_user(fresh(held.user))

    assert fresh(held.user).is_active
    assert_all_ended(held)
    # New credentials work again.
    assert credentials_of(fresh(held.user)).tokens_work() == [True, True]


def test_changing_the_password_ends_every_session_and_token(held: Credentials) -> None:
    actions.change_password(fresh(held.user), raw_password=NEW_PASSWORD)

    assert_all_ended(held)
    assert fresh(held.user).check_password(NEW_PASSWORD)


def test_a_password_the_rules_refuse_is_refused_naming_the_field_and_ends_nothing(held: Credentials) -> None:
    with pytest.raises(ValidationFailed) as refused:
        actions.change_password(fresh(held.user), raw_password="123")

    assert refused.value.field == "password"
    assert held.session_works()
    assert held.tokens_work() == [True, True]


# --- code paths -------------------------------------------------------------------------------


def _set_password_and_save(user: User) -> None:
    user.set_password(NEW_PASSWORD)
    user.save()


def _set_password_and_save_only_that_field(user: User) -> None:
    user.set_password(NEW_PASSWORD)
    user.save(update_fields=["password"])


def _deactivate_and_save(user: User) -> None:
    user.is_active = False
    user.save()


def _deactivate_and_save_only_that_field(user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _make_password_unusable(user: User) -> None:
    user.set_unusable_password()
    user.save()


@pytest.mark.parametrize(
    "change",
    [
        _set_password_and_save,
        _set_password_and_save_only_that_field,
        _deactivate_and_save,
        _deactivate_and_save_only_that_field,
        _make_password_unusable,
    ],
)
def test_every_save_that_changes_credentials_ends_them(held: Credentials, change: Callable[[User], None]) -> None:
    change(fresh(held.user))

    assert_all_ended(held)


def test_the_changepassword_command_ends_every_session_and_token(
    held: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command reads the new password twice from the terminal.
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", held.user.username)

    assert_all_ended(held)


def test_saving_other_fields_keeps_sessions_and_tokens(held: Credentials) -> None:
    user = fresh(held.user)
    user.display_name = "New name"
    user.role = Role.AGENT
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    assert held.session_works()
    assert held.tokens_work() == [True, True]
    assert fresh(held.user).credentials_revoked_at is None


UPGRADING_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@override_settings(PASSWORD_HASHERS=UPGRADING_HASHERS)
def test_a_hash_upgrade_at_login_is_not_a_password_change(requester: User) -> None:
    # An old-format hash is re-hashed on the next successful login; that keeps the credentials.
    User.objects.filter(pk=requester.pk).update(password=make_password(PASSWORD, hasher="md5"))
    held = credentials_of(fresh(requester))

    login = Client().post(reverse("web:login"), {"username": requester.username, "password": PASSWORD})
    assert login.status_code == 302

    assert fresh(requester).password.startswith("pbkdf2_sha256$")
    assert held.tokens_work() == [True, True]
    assert fresh(requester).credentials_revoked_at is None


def test_a_new_account_starts_without_a_revocation(db: None) -> None:
    assert factories.make_user("newcomer").credentials_revoked_at is None


def test_a_revocation_leaves_other_users_alone(held: Credentials, agent: User) -> None:
    others = credentials_of(agent)

    actions.deactivate_user(fresh(held.user))

    assert others.session_works()
    assert others.tokens_work() == [True, True]


def test_tokens_already_revoked_keep_their_revocation_time(held: Credentials) -> None:
    first = ApiToken.objects.filter(user=held.user).order_by("pk").first()
    assert first is not None
    earlier = timezone.now().replace(year=2020)
    ApiToken.objects.filter(pk=first.pk).update(revoked_at=earlier)

    actions.deactivate_user(fresh(held.user))

    first.refresh_from_db()
    assert first.revoked_at == earlier


# --- the Django admin -------------------------------------------------------------------------


def _user_change_form(user: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "role": user.role,
        "display_name": "",
        "phone": "",
        "organization": user.organization_id or "",
        "department": "",
        "requester_type": user.requester_type,
        "language": "",
        "date_joined_0": "2026-03-02",
        "date_joined_1": "09:00:00",
        "initial-date_joined_0": "2026-03-02",
        "initial-date_joined_1": "09:00:00",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_unticking_active_in_the_admin_user_form_ends_every_session_and_token(
    held: Credentials, admin_client: Client
) -> None:
    url = reverse("admin:accounts_user_change", args=[held.user.pk])
    response = admin_client.post(url, _user_change_form(held.user, is_active=None))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not fresh(held.user).is_active
    assert_all_ended(held)


def test_ticking_active_again_in_the_admin_does_not_revive_them(held: Credentials, admin_client: Client) -> None:
    url = reverse("admin:accounts_user_change", args=[held.user.pk])
    admin_client.post(url, _user_change_form(held.user, is_active=None))
    response = admin_client.post(url, _user_change_form(held.user))

    assert response.status_code == 302
    assert fresh(held.user).is_active
    assert_all_ended(held)


def test_the_admin_password_form_ends_every_session_and_token(held: Credentials, admin_client: Client) -> None:
    url = reverse("admin:auth_user_password_change", args=[held.user.pk])
    response = admin_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(held.user).check_password(NEW_PASSWORD)
    assert_all_ended(held)


def test_the_admin_can_disable_password_login_which_ends_every_session_and_token(
    held: Credentials, admin_client: Client
) -> None:
    url = reverse("admin:auth_user_password_change", args=[held.user.pk])
    response = admin_client.post(url, {"usable_password": "false", "unset-password": "1"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not fresh(held.user).has_usable_password()
    assert_all_ended(held)


def test_an_admin_changing_their_own_password_stays_logged_in_there_only(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    mine = credentials_of(root)
    elsewhere = Client()
    elsewhere.force_login(root)

    url = reverse("admin:auth_user_password_change", args=[root.pk])
    response = mine.session.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})

    assert response.status_code == 302
    # Django keeps the session that made the change (update_session_auth_hash); all others end.
    assert mine.session_works()
    assert elsewhere.get(ME_URL).status_code == 401
    assert mine.tokens_work() == [False, False]
