"""Login and the landing redirect: staff to the agent workspace, requesters to the customer portal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send staff to the agent workspace and requesters to the customer portal."""
    if request.user.is_requester:  # type: ignore[union-attr]
        return redirect("portal:home")
    return redirect("workspace:queue_default")
