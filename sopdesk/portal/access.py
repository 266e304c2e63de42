"""Who may use the customer portal: signed-in requesters; staff are sent to their workspace."""

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
