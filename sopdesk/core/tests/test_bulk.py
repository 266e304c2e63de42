"""insert_rows(): many rows from tuples in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.models import User
from sopdesk.core.bulk import insert_rows
from sopdesk.notifications.models import Notification
from sopdesk.testing.factories import make_ticket
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
COLUMNS = ("ticket", "kind", "created_at", "data", "actor", "is_internal", "body")


def test_rows_are_written_with_their_instants_json_and_nulls_as_the_orm_reads_them(requester: User) -> None:
    ticket = make_ticket(requester, title="Printer", now=NOW)
    before = TicketEvent.objects.count()
    rows = [
        (ticket.pk, "sla_warning", NOW, {"metric": "assignment", "notified": [1, 2]}, None, True, ""),
        (ticket.pk, "sla_breached", NOW.astimezone(UTC), {"due_at": None}, requester.pk, False, "多行\n正文"),
    ]
    with CaptureQueriesContext(connection) as context:
        insert_rows(TicketEvent, COLUMNS, rows)
    assert len(context.captured_queries) == 1

    written = list(TicketEvent.objects.order_by("id")[before:])
    assert [
        (event.kind, event.created_at, event.data, event.actor_id, event.is_internal, event.body) for event in written
    ] == [
        ("sla_warning", NOW, {"metric": "assignment", "notified": [1, 2]}, None, True, ""),
        ("sla_breached", NOW, {"due_at": None}, requester.pk, False, "多行\n正文"),
    ]


def test_no_rows_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as context:
        insert_rows(TicketEvent, COLUMNS, [])
    assert context.captured_queries == []


def notification(user: User, key: str, subject: str) -> tuple[object, ...]:
    return (user.pk, None, "sla_warning", subject, "", NOW, key)


NOTIFICATION_COLUMNS = ("recipient", "ticket", "kind", "subject", "body", "created_at", "dedupe_key")


def test_ignoring_conflicts_keeps_the_first_row_of_a_unique_key(requester: User, agent: User) -> None:
    insert_rows(Notification, NOTIFICATION_COLUMNS, [notification(requester, "k", "first")])
    insert_rows(
        Notification,
        NOTIFICATION_COLUMNS,
        [notification(requester, "k", "second"), notification(agent, "k", "agent's")],
        ignore_conflicts=True,
    )
    assert sorted(Notification.objects.values_list("recipient__username", "subject")) == [
        ("agent", "agent's"),
        ("requester", "first"),
    ]


def test_a_conflict_is_an_error_unless_ignored(requester: User) -> None:
    insert_rows(Notification, NOTIFICATION_COLUMNS, [notification(requester, "k", "first")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Notification, NOTIFICATION_COLUMNS, [notification(requester, "k", "again")])


def test_a_name_that_is_not_a_column_is_refused() -> None:
    with pytest.raises(ValueError, match="not a column"):
        insert_rows(Ticket, ("title", "events"), [("Printer", None)])
