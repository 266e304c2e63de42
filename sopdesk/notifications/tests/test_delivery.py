"""deliver_due() and friends: claim, send, retry with backoff, give up, recover from crashed workers."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from sopdesk.accounts.models import User
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    backoff,
    claim,
    claim_batch,
    deliver_due,
    deliver_new,
    release_expired_leases,
    untried_messages,
)
from sopdesk.notifications.models import OutboxMessage
from sopdesk.notifications.outbox import enqueue
from sopdesk.notifications.tests.conftest import NOW, make_message, outgoing

pytestmark = pytest.mark.django_db


class FlakyBackend(LocmemBackend):
    """A mail server that is down for the next `failures_left` messages, then delivers to mail.outbox."""

    failures_left = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class SlowBackend(LocmemBackend):
    """A mail server that takes a moment per message, so that racing workers overlap."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.02)
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings: Settings) -> Iterator[type[FlakyBackend]]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures_left = 0
    yield FlakyBackend
    FlakyBackend.failures_left = 0


def reloaded(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


def test_due_messages_are_sent_oldest_first_and_marked_sent(mailoutbox: list[Any], settings: Settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "desk@example.com"
    later = make_message("later@example.com", next_attempt_at=NOW - timedelta(minutes=1))
    earlier = make_message("earlier@example.com", next_attempt_at=NOW - timedelta(minutes=5))

    report = deliver_due(now=NOW)

    assert (report.sent_count, report.retrying_count, report.failed_count) == (2, 0, 0)
    assert [message.to for message in mailoutbox] == [["earlier@example.com"], ["later@example.com"]]
    assert mailoutbox[0].from_email == "desk@example.com"
    assert mailoutbox[0].subject == "Subject for earlier@example.com"
    assert mailoutbox[0].body == "Body for earlier@example.com"
    for message in (reloaded(earlier), reloaded(later)):
        assert (message.status, message.sent_at, message.attempts, message.claimed_until) == (
            DeliveryStatus.SENT,
            NOW,
            1,
            None,
        )


def test_each_mail_is_built_once(mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # The sender checks the built message before the backend sends it: both must get the same one.
    builds: list[str] = []
    original = EmailMessage.message

    def counting(self: EmailMessage) -> Any:
        builds.append(self.to[0])
        return original(self)

    monkeypatch.setattr(EmailMessage, "message", counting)
    for address in ("a@example.com", "b@example.com"):
        make_message(address)
    deliver_new(now=NOW)
    assert sorted(builds) == ["a@example.com", "b@example.com"]
    assert sorted(message.to[0] for message in mailoutbox) == ["a@example.com", "b@example.com"]


def test_sent_messages_and_messages_not_yet_due_are_left_alone(mailoutbox: list[Any]) -> None:
    make_message("sent@example.com", status=DeliveryStatus.SENT, attempts=1)
    make_message("failed@example.com", status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
    waiting = make_message("waiting@example.com", next_attempt_at=NOW + timedelta(seconds=1))

    assert deliver_due(now=NOW).sent_count == 0
    assert mailoutbox == []
    assert reloaded(waiting).status == DeliveryStatus.PENDING


def test_a_rows_subject_with_line_breaks_is_sent_on_one_line(mailoutbox: list[Any]) -> None:
    message = make_message("a@example.com")
    OutboxMessage.objects.filter(pk=message.pk).update(subject="Printer\r\nBcc: victim@example.com")
    deliver_due(now=NOW)
    assert mailoutbox[0].subject == "Printer Bcc: victim@example.com"
    assert mailoutbox[0].recipients() == ["a@example.com"]


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (3, timedelta(minutes=4)), (7, timedelta(hours=1))],
)
def test_the_wait_doubles_after_each_failure_up_to_an_hour(attempts: int, wait: timedelta) -> None:
    assert backoff(attempts) == wait


def test_a_failed_attempt_is_retried_after_the_backoff_and_then_sent(
    flaky: type[FlakyBackend], mailoutbox: list[Any]
) -> None:
    flaky.failures_left = 2
    message = make_message("a@example.com")

    first = deliver_due(now=NOW)
    assert (first.sent_count, first.retrying_count) == (0, 1)
    assert reloaded(message).status == DeliveryStatus.PENDING
    assert message.next_attempt_at == NOW + timedelta(minutes=1)
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert deliver_due(now=NOW + timedelta(seconds=59)).retrying_count == 0  # not due yet

    deliver_due(now=NOW + timedelta(minutes=1))
    assert reloaded(message).next_attempt_at == NOW + timedelta(minutes=3)  # 1 + 2 minutes

    assert deliver_due(now=NOW + timedelta(minutes=3)).sent_count == 1
    assert (reloaded(message).status, message.attempts) == (DeliveryStatus.SENT, 3)
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def test_a_message_that_keeps_failing_is_given_up_after_eight_attempts(
    flaky: type[FlakyBackend], mailoutbox: list[Any]
) -> None:
    flaky.failures_left = 100
    message = make_message("a@example.com")
    now = NOW
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        assert deliver_due(now=now).retrying_count == 1
        waits.append(reloaded(message).next_attempt_at - now)
        now = message.next_attempt_at

    last = deliver_due(now=now)

    assert (last.retrying_count, last.failed_count) == (0, 1)
    assert [int(wait.total_seconds() // 60) for wait in waits] == [1, 2, 4, 8, 16, 32, 60]
    assert (reloaded(message).status, message.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert "SMTPServerDisconnected" in message.last_error
    assert deliver_due(now=now + timedelta(days=1)).sent_count == 0
    assert mailoutbox == []


def test_a_failure_ends_the_batch_and_leaves_the_rest_due_for_the_next_run(
    flaky: type[FlakyBackend], mailoutbox: list[Any]
) -> None:
    flaky.failures_left = 1
    first, second = make_message("first@example.com"), make_message("second@example.com")

    report = deliver_due(now=NOW)

    assert report.is_stopped
    assert not report.has_more
    assert (reloaded(first).status, first.attempts) == (DeliveryStatus.PENDING, 1)
    assert (reloaded(second).status, second.attempts) == (DeliveryStatus.PENDING, 0)
    assert deliver_due(now=NOW).sent_count == 1
    assert [m.to for m in mailoutbox] == [["second@example.com"]]


def test_a_malformed_address_fails_at_once_and_the_batch_goes_on(mailoutbox: list[Any]) -> None:
    broken = make_message("a@example.com\nBcc: victim@example.com", key="broken")
    fine = make_message("b@example.com")

    report = deliver_due(now=NOW)

    assert (report.sent_count, report.failed_count) == (1, 1)
    assert (reloaded(broken).status, broken.attempts) == (DeliveryStatus.FAILED, 1)
    assert reloaded(fine).status == DeliveryStatus.SENT
    assert [m.to for m in mailoutbox] == [["b@example.com"]]


def test_a_message_stuck_in_sending_past_its_lease_is_sent_again(mailoutbox: list[Any]) -> None:
    crashed = make_message(
        "a@example.com", status=DeliveryStatus.SENDING, attempts=1, claimed_until=NOW - timedelta(seconds=1)
    )
    busy = make_message("b@example.com", status=DeliveryStatus.SENDING, attempts=1, claimed_until=NOW)

    report = deliver_due(now=NOW)

    assert (report.released_count, report.sent_count) == (1, 1)
    assert (reloaded(crashed).status, crashed.attempts) == (DeliveryStatus.SENT, 2)
    assert "interrupted" in crashed.last_error
    assert reloaded(busy).status == DeliveryStatus.SENDING  # its worker may still be sending it
    assert [m.to for m in mailoutbox] == [["a@example.com"]]


def test_an_interrupted_message_out_of_attempts_is_given_up() -> None:
    message = make_message(
        "a@example.com", status=DeliveryStatus.SENDING, attempts=MAX_ATTEMPTS, claimed_until=NOW - LEASE
    )
    assert release_expired_leases(now=NOW) == (0, 1)
    assert reloaded(message).status == DeliveryStatus.FAILED


def test_a_claim_on_a_message_another_worker_changed_is_refused() -> None:
    message = make_message("a@example.com")
    stale = OutboxMessage.objects.get(pk=message.pk)
    assert claim(message, now=NOW)
    assert (reloaded(message).status, message.attempts, message.claimed_until) == (
        DeliveryStatus.SENDING,
        1,
        NOW + LEASE,
    )
    assert not claim(stale, now=NOW)


def test_a_batch_claim_takes_only_the_rows_still_as_read_in_one_statement() -> None:
    untouched, taken, retried = (make_message(f"{n}@example.com") for n in range(3))
    read = list(OutboxMessage.objects.order_by("pk"))
    assert claim(OutboxMessage.objects.get(pk=taken.pk), now=NOW)  # another worker was quicker
    OutboxMessage.objects.filter(pk=retried.pk).update(attempts=1)  # tried and handed back meanwhile

    with CaptureQueriesContext(connection) as queries:
        claimed = claim_batch(read, now=NOW)

    assert len(queries) == 1
    assert [message.pk for message in claimed] == [untouched.pk]
    assert (reloaded(untouched).status, untouched.attempts, untouched.claimed_until) == (
        DeliveryStatus.SENDING,
        1,
        NOW + LEASE,
    )
    assert reloaded(retried).status == DeliveryStatus.PENDING


def test_a_batch_is_claimed_and_recorded_in_a_few_statements_not_two_per_message(mailoutbox: list[Any]) -> None:
    for n in range(60):
        make_message(f"{n}@example.com")
    with CaptureQueriesContext(connection) as queries:
        assert deliver_new(now=NOW).sent_count == 60
    writes = [query["sql"] for query in queries if query["sql"].startswith("UPDATE")]
    assert len(writes) == 1 + 60 // 25 + 1  # the claim, then the sent ones in groups of 25
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_full_batch_says_more_may_be_due(mailoutbox: list[Any]) -> None:
    for n in range(3):
        make_message(f"{n}@example.com")
    assert deliver_due(now=NOW, batch_size=2).has_more
    assert not deliver_due(now=NOW, batch_size=2).has_more
    assert len(mailoutbox) == 3


def test_the_after_commit_delivery_sends_every_untried_message_and_leaves_retries_to_their_backoff(
    requester: User,
    agent: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        enqueue([outgoing(requester, "k")], now=NOW)  # its own delivery job never runs
    retrying = make_message("retrying@example.com", attempts=1)
    # The writer's clock may run ahead of the worker's: a new message is sent even if not due yet.
    with django_capture_on_commit_callbacks(execute=False):
        enqueue([outgoing(agent, "k")], now=NOW + timedelta(hours=1))
    agent_key = OutboxMessage.objects.get(recipient=agent).dedupe_key

    report = deliver_new(now=NOW)

    assert report.sent_count == 2
    assert [m.to for m in mailoutbox] == [["requester@example.com"], ["agent@example.com"]]
    assert reloaded(retrying).status == DeliveryStatus.PENDING  # waits for its backoff
    assert OutboxMessage.objects.get(dedupe_key=agent_key).status == DeliveryStatus.SENT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deliverers_racing_send_each_message_exactly_once(settings: Settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    mail.outbox = []
    addresses = [f"user{n}@example.com" for n in range(20)]
    for address in addresses:
        make_message(address)
    start = threading.Barrier(2)
    reports = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(timeout=30)
            reports.append(deliver_due(now=NOW))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses)
    assert sum(report.sent_count for report in reports) == len(addresses)
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


def test_the_after_commit_job_reads_untried_messages_through_their_index() -> None:
    # Every delivery job runs this read; without the partial index it read every message ever sent.
    sql, params = untried_messages()[:100].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            # A small test table is cheaper to read whole: forbid that to see the index is usable.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
    assert "outbox_untried" in plan, plan
