"""Customer portal pages: thin views over the ticket actions and the visibility querysets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sopdesk.portal.access import portal_user, requester_required
from sopdesk.tickets.models import Ticket


@requester_required
def home(request: HttpRequest) -> HttpResponse:
    """The requester's landing page (the request list replaces it)."""
    visible = Ticket.objects.visible_to(portal_user(request))
    return render(request, "portal/home.html", {"visible_ticket_count": visible.count(), "active": "home"})
