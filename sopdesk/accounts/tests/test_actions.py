"""API tokens: the raw key is shown once, only its hash is kept, and spent tokens stop working."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from pytest_django import Settings

from sopdesk.accounts.actions import TOKEN_PREFIX, authenticate_token, issue_token, revoke_token, update_profile
from sopdesk.accounts.models import ApiToken, User
from sopdesk.core.models import HardDeleteRefused
from sopdesk.core.validation import ValidationFailed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_issuing_returns_the_raw_key_once_and_stores_only_its_hash(requester: User) -> None:
    issued = issue_token(user=requester, name="laptop", now=NOW)
    assert issued.raw.startswith(TOKEN_PREFIX)
    assert len(issued.raw) > 40
    stored = ApiToken.objects.get()
    assert stored.key_hash == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert stored.prefix == issued.raw[: len(TOKEN_PREFIX) + 6]
    values = [str(getattr(stored, field.attname)) for field in ApiToken._meta.concrete_fields]
    assert not any(issued.raw in value for value in values)
    assert (stored.user, stored.name) == (requester, "laptop")


def test_every_token_is_different(requester: User) -> None:
    raws = {issue_token(user=requester, now=NOW).raw for _ in range(5)}
    assert len(raws) == 5


def test_a_token_expires_after_the_configured_lifetime(requester: User, settings: Settings) -> None:
    settings.SOPDESK_API_TOKEN_TTL_DAYS = 3
    assert issue_token(user=requester, now=NOW).token.expires_at == NOW + timedelta(days=3)
    assert issue_token(user=requester, now=NOW, ttl=timedelta(hours=1)).token.expires_at == NOW + timedelta(hours=1)


def test_an_over_long_name_is_cut_to_fit(requester: User) -> None:
    assert issue_token(user=requester, name="n" * 300, now=NOW).token.name == "n" * 100


def test_a_fresh_token_authenticates_its_user_and_records_the_use(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    assert authenticate_token(issued.raw, now=NOW + timedelta(minutes=5)) == requester
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == NOW + timedelta(minutes=5)


def test_use_is_recorded_at_most_once_a_minute(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    authenticate_token(issued.raw, now=NOW)
    authenticate_token(issued.raw, now=NOW + timedelta(seconds=30))
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == NOW
    authenticate_token(issued.raw, now=NOW + timedelta(minutes=2))
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == NOW + timedelta(minutes=2)


def test_an_expired_token_does_not_authenticate(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW, ttl=timedelta(days=1))
    assert authenticate_token(issued.raw, now=NOW + timedelta(days=1) - timedelta(seconds=1)) == requester
    assert authenticate_token(issued.raw, now=NOW + timedelta(days=1)) is None
    assert authenticate_token(issued.raw, now=NOW + timedelta(days=400)) is None


def test_a_revoked_token_does_not_authenticate(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    revoke_token(issued.token, now=NOW + timedelta(minutes=1))
    assert authenticate_token(issued.raw, now=NOW + timedelta(minutes=2)) is None
    assert ApiToken.objects.get().revoked_at == NOW + timedelta(minutes=1)


def test_revoking_twice_keeps_the_first_revocation_time(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    revoke_token(issued.token, now=NOW)
    revoke_token(issued.token, now=NOW + timedelta(days=1))
    issued.token.refresh_from_db()
    assert issued.token.revoked_at == NOW


def test_revoking_one_token_leaves_the_others_working(requester: User) -> None:
    first, second = issue_token(user=requester, now=NOW), issue_token(user=requester, now=NOW)
    revoke_token(first.token, now=NOW)
    assert authenticate_token(second.raw, now=NOW) == requester


def test_the_token_of_an_inactive_user_does_not_authenticate(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    requester.is_active = False
    requester.save()
    assert authenticate_token(issued.raw, now=NOW) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: "",
        lambda raw: raw[len(TOKEN_PREFIX) :],  # without the prefix
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # one character changed
        lambda raw: raw + "x",
        lambda raw: raw.upper(),
        lambda raw: raw + "x" * 500,
        lambda raw: TOKEN_PREFIX + "x" * 43,
        lambda raw: hashlib.sha256(raw.encode()).hexdigest(),  # the stored hash is not a key
    ],
)
def test_anything_but_the_exact_raw_key_is_refused(requester: User, mangle: object) -> None:
    issued = issue_token(user=requester, now=NOW)
    assert authenticate_token(mangle(issued.raw), now=NOW) is None  # type: ignore[operator]


def test_tokens_are_revoked_not_deleted(requester: User) -> None:
    issued = issue_token(user=requester, now=NOW)
    with pytest.raises(HardDeleteRefused):
        issued.token.delete()
    with pytest.raises(HardDeleteRefused):
        ApiToken.objects.all().delete()


def test_a_profile_update_saves_only_what_changed_and_refuses_other_fields(requester: User) -> None:
    assert update_profile(requester, changes={"display_name": "Alice", "phone": ""}) == ["display_name"]
    requester.refresh_from_db()
    assert requester.display_name == "Alice"
    with pytest.raises(ValidationFailed) as refused:
        update_profile(requester, changes={"role": "admin"})
    assert "role" in refused.value.errors
    with pytest.raises(ValidationFailed) as invalid:
        update_profile(requester, changes={"email": "not an address"})
    assert "email" in invalid.value.errors
    assert requester.email == "requester@example.com"
    requester.refresh_from_db()
    assert (requester.role, requester.email) == ("requester", "requester@example.com")
