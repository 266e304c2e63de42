"""Authentication and the caller's own profile."""

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from sopdesk.accounts.actions import issue_token, revoke_token
from sopdesk.accounts.api.schemas import MeOut, MeTeamOut, TokenIn, TokenOut
from sopdesk.accounts.models import ApiToken, User, hash_token
from sopdesk.core.api import ErrorOut
from sopdesk.core.errors import ActionError

router = Router(tags=["auth"])


class LoginRefused(ActionError):
    status_code = 401


class TooManyAttempts(ActionError):
    status_code = 429


@router.post(
    "/auth/token", auth=None, response={201: TokenOut, 401: ErrorOut, 415: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[Any]:
    """Exchange a username and password (a JSON body) for a bearer token; repeated failures lock logins out for a while.

    Lockouts count failures per username and address, per address (many usernames) and per
    username (many addresses), each with its own limit.
    """
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise TooManyAttempts(_("Too many failed logins. Try again later."), field="username")
    if user is None or not user.is_active:
        raise LoginRefused(_("Wrong username or password."), field="password")
    # A password exchanged for a token is a login: last_login is set and the lockout forgets this
    # user's failures from this address, as after the web login.
    # A token is not a browser session: without `request.session` the lockout's bookkeeping does not
    # create one, so no session row is written and no session cookie is sent back to a client that
    # keeps cookies (which would otherwise send it, and cost a session read, on every request).
    session = request.__dict__.pop("session", None)
    try:
        user_logged_in.send(sender=type(user), request=request, user=user)
    finally:
        if session is not None:
            request.session = session  # type: ignore[attr-defined]
    issued = issue_token(user=user, name=payload.name, now=timezone.now())  # type: ignore[arg-type]
    return Status(201, {"token": issued.raw, "expires_at": issued.token.expires_at})


@router.post("/auth/token/revoke", response={204: None, 401: ErrorOut})
def revoke_current_token(request: HttpRequest) -> Status[Any]:
    """Revoke the bearer token this request was made with."""
    header = request.headers.get("Authorization", "")
    raw = header.partition(" ")[2].strip()
    user: User = request.user  # type: ignore[assignment]
    token = ApiToken.objects.filter(key_hash=hash_token(raw), user=user).first() if raw else None
    if token is None:
        raise LoginRefused(_("This request was not made with a bearer token."))
    revoke_token(token, now=timezone.now())
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    """Return the authenticated user."""
    user: User = request.user  # type: ignore[assignment]
    teams = [MeTeamOut(code=t.code, name=t.name) for t in user.teams.order_by("name")]
    return MeOut(
        username=user.username,
        display_name=str(user),
        email=user.email,
        role=user.role,
        is_staff_member=user.is_agent_staff,
        organization=user.organization.name if user.organization_id else None,  # type: ignore[union-attr]
        teams=teams,
        language=user.language,
    )
