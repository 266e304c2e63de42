"""The monitoring alerts card of an incident ticket's page (loaded after the page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sopdesk.alerts.queries import alerts_of
from sopdesk.tickets.queries import get_ticket_for_user
from sopdesk.workspace.views import staff_required


@require_GET
@staff_required
def ticket_alerts(request: HttpRequest, number: str) -> HttpResponse:
    """The alerts that opened or noted ticket `number`: source, state, severity, how often they fired, labels."""
    ticket = get_ticket_for_user(request.user, number)  # type: ignore[arg-type]
    return render(request, "workspace/alerts/_panel.html", {"ticket": ticket, "alerts": list(alerts_of(ticket))})
