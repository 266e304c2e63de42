"""Timeline entries written as plain rows (record_rows), as the SLA sweep writes thousands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sopdesk.accounts.models import User
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.events import EventRow, record_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 2, 30, tzinfo=UTC)


def test_rows_become_timeline_entries(requester: User) -> None:
    ticket = make_ticket(requester, now=NOW)
    record_rows(
        [
            EventRow(ticket_id=ticket.pk, kind="sla_warning", created_at=NOW, data={"metric": "assignment"}),
            EventRow(ticket.pk, "sla_breached", NOW, {"metric": "assignment"}, actor_id=None, is_internal=True),
        ]
    )
    entries = ticket.events.filter(kind__startswith="sla_").order_by("id")
    assert [(entry.kind, entry.created_at, entry.data, entry.is_internal) for entry in entries] == [
        ("sla_warning", NOW, {"metric": "assignment"}, False),
        ("sla_breached", NOW, {"metric": "assignment"}, True),
    ]


def test_an_unregistered_kind_is_refused_and_nothing_is_written(requester: User) -> None:
    ticket = make_ticket(requester, now=NOW)
    before = ticket.events.count()
    with pytest.raises(ValueError, match="unknown timeline event kind 'sla_mystery'"):
        record_rows(
            [
                EventRow(ticket.pk, "sla_warning", NOW, {}),
                EventRow(ticket.pk, "sla_mystery", NOW, {}),
            ]
        )
    assert ticket.events.count() == before
