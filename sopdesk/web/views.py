"""Login and landing pages; the agent workspace and customer portal come later."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sopdesk.tickets.models import Ticket


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send staff to the workspace; show requesters who they are and where to go next."""
    if not request.user.is_requester:  # type: ignore[union-attr]
        return redirect("workspace:queue_default")
    visible = Ticket.objects.visible_to(request.user)  # type: ignore[arg-type]
    return render(request, "web/home.html", {"visible_ticket_count": visible.count()})
