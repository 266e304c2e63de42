"""Reading alerts: those of one ticket."""

from __future__ import annotations

from django.db.models import QuerySet

from sopdesk.alerts.models import Alert
from sopdesk.tickets.models import Ticket


def alerts_of(ticket: Ticket) -> QuerySet[Alert]:
    """Return the alerts that point at `ticket`, most recently received first, with their sources."""
    return Alert.objects.filter(ticket=ticket).select_related("source").order_by("-last_received_at", "pk")
