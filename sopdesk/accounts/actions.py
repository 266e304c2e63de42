"""State changes of accounts: API tokens, disabling accounts, passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sopdesk.accounts.models import ApiToken, User, hash_token
from sopdesk.core.prepared import PreparedRead
from sopdesk.core.validation import ValidationFailed

TOKEN_PREFIX = "sdk_"  # noqa: S105  (a public marker, not a secret)

# Every API request reads its token with its user: the SQL is built once per process (core.prepared).
_TOKEN_BY_HASH = PreparedRead(
    ApiToken, lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash)[:1], "str"
)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown to the user once, never stored


def issue_token(*, user: User, name: str = "", now: datetime, ttl: timedelta | None = None) -> IssuedToken:
    """Create a bearer token for `user`; return the raw key, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    lifetime = ttl if ttl is not None else timedelta(days=settings.SOPDESK_API_TOKEN_TTL_DAYS)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(raw),
        expires_at=now + lifetime,
    )
    return IssuedToken(token=token, raw=raw)


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    """Revoke `token` so it can no longer authenticate."""
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])


def authenticate_token(raw: str, *, now: datetime) -> User | None:
    """Return the active user a usable raw token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = _TOKEN_BY_HASH.first(hash_token(raw))
    if token is None or not token.is_usable(now=now) or not token.user.is_active:
        return None
    # Record use at most once a minute to keep reads from turning into writes.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user: User = token.user
    return user


def deactivate_user(user: User) -> None:
    """Disable `user`'s account; the model ends their sessions and revokes their API tokens."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])


def reactivate_user(user: User) -> None:
    """Enable `user`'s account again; sessions and tokens from before stay ended."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])


def change_password(user: User, *, raw_password: str) -> None:
    """Set a new password after the password rules accept it; every session and API token of `user` ends."""
    try:
        validate_password(raw_password, user=user)
    except ValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from exc
    user.set_password(raw_password)
    user.save(update_fields=["password"])


PROFILE_FIELDS = ("display_name", "email", "phone", "language", "time_zone", "email_muted_kinds")


def update_profile(user: User, *, changes: dict[str, object]) -> list[str]:
    """Change `user`'s own name, contact, language, time zone and muted e-mail kinds; return the changed fields."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed({unknown[0]: [_("This field cannot be changed here.")]})
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return changed
    before = {name: getattr(user, name) for name in changed}
    for name in changed:
        setattr(user, name, changes[name])
    try:
        user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in changed])
    except ValidationError as error:
        for name, value in before.items():  # the caller's object stays as stored
            setattr(user, name, value)
        raise ValidationFailed({k: [str(m) for m in v] for k, v in error.message_dict.items()}) from None
    user.save(update_fields=changed)
    return changed
