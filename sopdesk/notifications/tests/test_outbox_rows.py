"""enqueue_rows(): enqueue's contract for plain rows of active recipients, written set-based."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import DeliveryStatus, NotificationKind
from sopdesk.notifications.models import SUBJECT_MAX_LENGTH, Notification, OutboxMessage
from sopdesk.notifications.outbox import (
    NotificationRow,
    enqueue_rows,
    notifications_suppressed,
    stored_pairs_sql_sqlite,
)
from sopdesk.notifications.tests.conftest import NOW
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


def row(user: User, key: str, *, subject: str = "Hello", email: str | None = None) -> NotificationRow:
    return NotificationRow(
        recipient_id=user.pk,
        email=user.email if email is None else email,
        ticket_id=None,
        kind=NotificationKind.SLA_WARNING,
        subject=subject,
        body=f"Body of {key}",
        dedupe_key=key,
    )


def test_each_row_becomes_an_inbox_entry_and_a_pending_e_mail(requester: User, agent: User) -> None:
    assert enqueue_rows([row(requester, "sla:1:user:r"), row(agent, "sla:1:user:a")], now=NOW) == 2

    entries = {n.recipient.username: n for n in Notification.objects.all()}
    assert set(entries) == {"requester", "agent"}
    assert (entries["agent"].kind, entries["agent"].created_at, entries["agent"].read_at) == ("sla_warning", NOW, None)
    messages = {m.address: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {"requester@example.com", "agent@example.com"}
    message = messages["agent@example.com"]
    assert (message.status, message.attempts, message.next_attempt_at) == (DeliveryStatus.PENDING, 0, NOW)
    assert (message.last_error, message.claimed_until, message.sent_at) == ("", None, None)
    assert message.dedupe_key == f"email:user:{agent.pk}:sla:1:user:a"
    assert message.recipient == agent
    assert message.body == "Body of sla:1:user:a"


def test_a_kind_the_recipient_muted_by_mail_reaches_only_the_inbox(requester: User, agent: User) -> None:
    muted = row(agent, "sla:3:user:a")._replace(muted_kinds=[NotificationKind.SLA_WARNING])
    other_kind_muted = row(requester, "sla:3:user:r")._replace(muted_kinds=[NotificationKind.TICKET_EVENT])
    assert enqueue_rows([muted, other_kind_muted], now=NOW) == 2
    assert Notification.objects.count() == 2
    assert [m.address for m in OutboxMessage.objects.all()] == ["requester@example.com"]


def test_rows_already_written_create_nothing_and_send_nothing_twice(
    requester: User,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    batch = [row(requester, "sla:1:user:r"), row(agent, "sla:1:user:a")]
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue_rows(batch, now=NOW) == 2
    with django_capture_on_commit_callbacks(execute=True) as rerun:
        assert enqueue_rows([*batch, row(agent, "sla:2:user:a"), row(agent, "sla:2:user:a")], now=NOW) == 1

    assert len(rerun) == 1
    assert Notification.objects.count() == OutboxMessage.objects.count() == 3
    assert sorted(message.to[0] for message in mailoutbox) == [
        "agent@example.com",
        "agent@example.com",
        "requester@example.com",
    ]


def test_a_recipient_without_an_address_gets_the_inbox_entry_only(requester: User) -> None:
    assert enqueue_rows([row(requester, "k", email="")], now=NOW) == 1
    assert Notification.objects.count() == 1
    assert not OutboxMessage.objects.exists()


def test_subjects_are_one_line_and_cut_to_the_column(requester: User) -> None:
    enqueue_rows([row(requester, "k", subject="Line one\nline   two " + "x" * 400)], now=NOW)
    subject = Notification.objects.get().subject
    assert subject.startswith("Line one line two x")
    assert len(subject) == SUBJECT_MAX_LENGTH
    assert OutboxMessage.objects.get().subject == subject


def test_nothing_is_written_while_notifications_are_suppressed(requester: User) -> None:
    with notifications_suppressed():
        assert enqueue_rows([row(requester, "k")], now=NOW) == 0
    assert not Notification.objects.exists()


def test_a_key_out_of_bounds_is_refused(requester: User) -> None:
    with pytest.raises(ValueError, match="dedupe key"):
        enqueue_rows([row(requester, "")], now=NOW)
    with pytest.raises(ValueError, match="dedupe key"):
        enqueue_rows([row(requester, "k" * 201)], now=NOW)


def test_the_same_queries_for_one_and_for_fifty_rows(
    requester: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    users = [factories.make_user(f"user{n}") for n in range(50)]
    with CaptureQueriesContext(connection) as one:
        enqueue_rows([row(requester, "one")], now=NOW)
    with CaptureQueriesContext(connection) as fifty:
        assert enqueue_rows([row(user, "fifty") for user in users], now=NOW) == 50
    # SQLite: the stored keys, then one INSERT per table; PostgreSQL: one statement for both tables.
    assert len(one.captured_queries) == len(fifty.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    assert OutboxMessage.objects.count() == 51


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the JSON probe is SQLite's")
def test_the_sqlite_probe_searches_the_index_even_with_statistics_of_a_small_table(
    requester: User, agent: User
) -> None:
    """A catch-up sweep after ANALYZE of a near-empty table scanned every notification per pair (20 s)."""
    enqueue_rows([row(requester, f"sla:{n}:user:r") for n in range(25)], now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN QUERY PLAN " + stored_pairs_sql_sqlite(), ['[[1, "a"], [2, "b"]]'])
        plan = [detail for *_ids, detail in cursor.fetchall()]
    assert plan[0].startswith("SCAN j"), plan
    assert plan[1].startswith("SEARCH n USING COVERING INDEX"), plan
