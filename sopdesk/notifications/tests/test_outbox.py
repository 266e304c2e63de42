"""enqueue(): inbox rows and outbox e-mails in the caller's transaction, idempotent per key."""

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
    OutgoingNotification,
    are_notifications_suppressed,
    enqueue,
    notifications_suppressed,
)
from sopdesk.notifications.tests.conftest import NOW, outgoing
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


def test_each_notification_becomes_an_inbox_entry_and_a_pending_e_mail(requester: User, agent: User) -> None:
    assert enqueue([outgoing(requester, "sla:1:user:r"), outgoing(agent, "sla:1:user:a")], now=NOW) == 2

    entries = {n.recipient.username: n for n in Notification.objects.all()}
    assert set(entries) == {"requester", "agent"}
    assert entries["agent"].kind == NotificationKind.SLA_WARNING
    assert entries["agent"].created_at == NOW
    assert entries["agent"].read_at is None
    messages = {m.address: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {"requester@example.com", "agent@example.com"}
    message = messages["agent@example.com"]
    assert (message.status, message.attempts, message.next_attempt_at) == (DeliveryStatus.PENDING, 0, NOW)
    assert message.dedupe_key == f"email:user:{agent.pk}:sla:1:user:a"
    assert message.recipient == agent
    assert message.body == "Body of sla:1:user:a"


def test_enqueuing_the_same_keys_again_creates_nothing_and_sends_nothing_twice(
    requester: User,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    batch = [outgoing(requester, "sla:1:user:r"), outgoing(agent, "sla:1:user:a")]
    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue(batch, now=NOW) == 2
    with django_capture_on_commit_callbacks(execute=True) as rerun:
        assert enqueue([*batch, outgoing(agent, "sla:2:user:a")], now=NOW) == 1

    assert len(rerun) == 1
    assert Notification.objects.count() == 3
    assert OutboxMessage.objects.count() == 3
    assert sorted(message.to[0] for message in mailoutbox) == [
        "agent@example.com",
        "agent@example.com",
        "requester@example.com",
    ]


def test_a_key_repeated_within_one_call_counts_once(requester: User) -> None:
    assert enqueue([outgoing(requester, "k"), outgoing(requester, "k", subject="Other")], now=NOW) == 1
    assert Notification.objects.get().subject == "Hello"


def test_the_same_key_for_two_recipients_is_two_notifications(requester: User, agent: User) -> None:
    assert enqueue([outgoing(requester, "digest:2026-03-02"), outgoing(agent, "digest:2026-03-02")], now=NOW) == 2
    assert Notification.objects.count() == 2


def test_enqueue_takes_the_same_three_queries_for_one_and_for_fifty_notifications(
    requester: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    users = [factories.make_user(f"user{n}") for n in range(50)]

    def queries_for(batch: list[OutgoingNotification]) -> int:
        with CaptureQueriesContext(connection) as context, django_capture_on_commit_callbacks() as callbacks:
            assert enqueue(batch, now=NOW) == len(batch)
        assert len(callbacks) == 1  # one delivery job per call, not one per row
        return len(context.captured_queries)

    one = queries_for([outgoing(requester, "one")])
    fifty = queries_for([outgoing(user, "fifty") for user in users])

    assert one == fifty == 3  # existing keys, inbox rows, outbox rows
    assert OutboxMessage.objects.count() == 51


def test_inactive_recipients_get_nothing(requester: User, agent: User) -> None:
    agent.is_active = False
    agent.save()
    assert enqueue([outgoing(agent, "k")], now=NOW) == 0
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_recipient_without_an_address_gets_the_inbox_entry_only(
    requester: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    requester.email = ""
    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue([outgoing(requester, "k")], now=NOW) == 1
    assert Notification.objects.filter(recipient=requester).exists()
    assert not OutboxMessage.objects.exists()
    assert callbacks == []  # nothing to deliver, no job


def test_an_in_app_only_notification_writes_no_e_mail(requester: User) -> None:
    assert enqueue([outgoing(requester, "k", send_email=False)], now=NOW) == 1
    assert Notification.objects.count() == 1
    assert not OutboxMessage.objects.exists()


def test_nothing_is_written_or_scheduled_while_notifications_are_suppressed(
    requester: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, notifications_suppressed():
        assert are_notifications_suppressed()
        assert enqueue([outgoing(requester, "k")], now=NOW) == 0
    assert not are_notifications_suppressed()
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert enqueue([outgoing(requester, "k")], now=NOW) == 1


def test_the_subject_is_stored_on_one_line_and_cut_to_length(requester: User) -> None:
    enqueue([outgoing(requester, "k", subject="Printer\r\nBcc: victim@example.com  " + "x" * 400)], now=NOW)
    for subject in (Notification.objects.get().subject, OutboxMessage.objects.get().subject):
        assert subject.startswith("Printer Bcc: victim@example.com xxx")
        assert len(subject) == SUBJECT_MAX_LENGTH


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_dedupe_key_is_required_and_bounded(requester: User, key: str) -> None:
    with pytest.raises(ValueError, match="dedupe key"):
        outgoing(requester, key)


def test_a_kind_the_recipient_muted_by_mail_reaches_only_the_inbox(requester: User, agent: User) -> None:
    agent.email_muted_kinds = [NotificationKind.SLA_WARNING]
    agent.save(update_fields=["email_muted_kinds"])
    assert enqueue([outgoing(requester, "sla:2:user:r"), outgoing(agent, "sla:2:user:a")], now=NOW) == 2
    assert Notification.objects.count() == 2
    assert [m.address for m in OutboxMessage.objects.all()] == ["requester@example.com"]


def test_keys_known_to_be_new_skip_the_lookup_of_stored_keys(requester: User, agent: User) -> None:
    batch = [outgoing(requester, "event:9:user:r"), outgoing(agent, "event:9:user:a")]
    with CaptureQueriesContext(connection) as queries:
        assert enqueue(batch, now=NOW, keys_are_new=True) == 2
    assert [query["sql"].split()[0] for query in queries] == ["INSERT", "INSERT"]
    assert Notification.objects.count() == OutboxMessage.objects.count() == 2
