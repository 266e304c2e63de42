from __future__ import annotations

import pytest
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.core.models import HardDeleteRefused
from sopdesk.testing import factories
from sopdesk.tickets.actions import record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import TicketAccessLog, TicketEvent

pytestmark = pytest.mark.django_db


def test_timeline_events_cannot_be_rewritten_in_bulk(requester: User) -> None:
    ticket = factories.make_ticket(requester)
    with pytest.raises(HardDeleteRefused):
        TicketEvent.objects.filter(ticket=ticket).update(body="rewritten history")
    assert TicketEvent.objects.get(ticket=ticket).body == ""


def test_access_log_entries_cannot_be_rewritten_in_bulk(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    record_ticket_view(ticket, user=agent, via=AccessChannel.API, now=timezone.now(), ip_address="127.0.0.1")
    with pytest.raises(HardDeleteRefused):
        TicketAccessLog.objects.update(ip_address="10.0.0.1")
    assert TicketAccessLog.objects.get().ip_address == "127.0.0.1"
