"""Who may use the customer portal: signed-in requesters (the help centre: visitors too); staff: their workspace."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from sopdesk.accounts.models import User

View = Callable[..., HttpResponseBase]


def requester_required(view: View) -> View:
    """Let requesters in; staff members go to the agent workspace, visitors to the login page."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: User = request.user  # type: ignore[assignment]
        if not user.is_requester:
            return redirect("workspace:queue_default")
        return view(request, *args, **kwargs)

    return wrapped


def portal_user(request: HttpRequest) -> User:
    """The signed-in requester of a request that passed `requester_required`."""
    return request.user  # type: ignore[return-value]


def help_reader(view: View) -> View:
    """Let visitors and requesters read the help centre; staff go to the agent workspace like elsewhere in the portal.

    What each may read is `Article.objects.visible_to` (visitors: public articles only).
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not user.is_requester:  # type: ignore[union-attr]
            return redirect("workspace:queue_default")
        return view(request, *args, **kwargs)

    return wrapped
