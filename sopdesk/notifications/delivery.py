"""The consumer side of the outbox: claim due messages one by one, send them, record the outcome.

Delivery is at least once: a claim is a lease, and a worker that outlives its lease (or dies) hands
the message to the next one. Two live workers never send the same message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import QuerySet

from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Long enough for one message at EMAIL_TIMEOUT, and for a batch of healthy sends: a message is
# claimed just before it is sent, and a failure ends the batch (see _deliver).
LEASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=1)
LAST_ERROR_MAX_LENGTH = 2000
INTERRUPTED = "The delivery was interrupted: the worker stopped or timed out before it finished."


class DeliveryFailed(Exception):
    """A channel refused or lost a message without raising an error of its own."""


class ChannelSender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...

    def close(self) -> None: ...


class EmailSender:
    """Send e-mail through Django's mail backend, one connection (SMTP session) per batch."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def send(self, message: OutboxMessage) -> None:
        email = EmailMessage(
            # A header is one line: enqueue() already collapsed whitespace, this keeps rows written
            # any other way from being refused (or worse) by the mail library.
            subject=" ".join(message.subject.split()),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
        )
        # Render first: a malformed message (a line break in the address) raises ValueError here,
        # without a session to the server and without breaking the one the batch shares.
        email.message()
        if self._connection is None:
            connection = get_connection()
            # Opened here, send_messages() keeps it open; otherwise it would log in once per message.
            connection.open()
            self._connection = connection
        email.connection = self._connection
        try:
            sent = email.send()
        except Exception:
            self.close()  # the session may be broken; the next message opens a fresh one
            raise
        if sent != 1:
            raise DeliveryFailed("The mail backend accepted no message.")

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            # Closing a broken session can fail too; there is nothing left to do with it.
            with contextlib.suppress(Exception):
                connection.close()


@contextlib.contextmanager
def _senders() -> Iterator[dict[str, ChannelSender]]:
    senders: dict[str, ChannelSender] = {DeliveryChannel.EMAIL: EmailSender()}
    try:
        yield senders
    finally:
        for sender in senders.values():
            sender.close()


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent_count: int = 0
    retrying_count: int = 0  # failed this time, will be tried again
    failed_count: int = 0  # given up
    lost_count: int = 0  # claimed by another worker first
    released_count: int = 0  # expired leases made due again
    is_stopped: bool = False  # a failure ended the batch early
    has_more: bool = False  # the batch was full: more may be due


def backoff(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: 1, 2, 4, 8… minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 16)), BACKOFF_CAP)


def release_expired_leases(*, now: datetime) -> tuple[int, int]:
    """Make messages whose sender's lease ran out due again (or failed, out of attempts); return both counts."""
    expired = OutboxMessage.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    # The interrupted attempt counts (attempts grow when claiming): a message that kills its worker
    # every time must not be retried forever.
    failed = expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED, claimed_until=None, last_error=INTERRUPTED
    )
    released = expired.update(
        status=DeliveryStatus.PENDING, claimed_until=None, next_attempt_at=now, last_error=INTERRUPTED
    )
    if failed or released:
        logger.warning("Outbox: %d interrupted deliveries made due again, %d given up", released, failed)
    return released, failed


def claim(message: OutboxMessage, *, now: datetime) -> bool:
    """Take `message` for sending if it is still pending as read (compare-and-set); lease it until now + LEASE."""
    attempts = message.attempts + 1
    claimed_until = now + LEASE
    updated = OutboxMessage.objects.filter(
        pk=message.pk, status=DeliveryStatus.PENDING, attempts=message.attempts
    ).update(status=DeliveryStatus.SENDING, attempts=attempts, claimed_until=claimed_until)
    if updated != 1:
        return False
    message.status, message.attempts, message.claimed_until = DeliveryStatus.SENDING, attempts, claimed_until
    return True


def _claimed(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    # Our claim still holds: nobody released the lease and claimed the message again.
    return OutboxMessage.objects.filter(pk=message.pk, status=DeliveryStatus.SENDING, attempts=message.attempts)


def record_sent(message: OutboxMessage, *, now: datetime) -> None:
    """Mark a claimed message sent."""
    if not _claimed(message).update(status=DeliveryStatus.SENT, sent_at=now, claimed_until=None):
        logger.warning("Outbox message %s was sent after its lease expired; it may go out twice", message.pk)
    message.status, message.sent_at, message.claimed_until = DeliveryStatus.SENT, now, None


def record_failure(message: OutboxMessage, *, now: datetime, error: str, is_permanent: bool = False) -> bool:
    """Record a failed attempt: due again after the backoff, or failed when out of attempts; return True if given up."""
    gives_up = is_permanent or message.attempts >= MAX_ATTEMPTS
    message.status = DeliveryStatus.FAILED if gives_up else DeliveryStatus.PENDING
    message.last_error = error[:LAST_ERROR_MAX_LENGTH]
    message.claimed_until = None
    if not gives_up:
        message.next_attempt_at = now + backoff(message.attempts)
    _claimed(message).update(
        status=message.status,
        last_error=message.last_error,
        claimed_until=None,
        next_attempt_at=message.next_attempt_at,
    )
    return gives_up


def _deliver(messages: Sequence[OutboxMessage], *, now: datetime) -> DeliveryReport:
    report = DeliveryReport()
    with _senders() as senders:
        for message in messages:
            if not claim(message, now=now):
                report.lost_count += 1
                continue
            sender = senders.get(message.channel)
            try:
                if sender is None:
                    raise ValueError(f"No sender for the channel {message.channel!r}.")
                sender.send(message)
            except ValueError as exc:
                # The message itself cannot be sent (unknown channel, malformed address or header):
                # retrying will not help.
                record_failure(message, now=now, error=f"{type(exc).__name__}: {exc}", is_permanent=True)
                report.failed_count += 1
                logger.warning("Outbox message %s cannot be sent: %s", message.pk, exc)
            except Exception as exc:
                gave_up = record_failure(message, now=now, error=f"{type(exc).__name__}: {exc}")
                if gave_up:
                    report.failed_count += 1
                else:
                    report.retrying_count += 1
                logger.warning("Outbox message %s not sent (attempt %d): %s", message.pk, message.attempts, exc)
                # The server is probably down: every further message would wait out the timeout
                # and stretch the batch past its leases. The rest waits for the next run.
                report.is_stopped = True
                break
            else:
                record_sent(message, now=now)
                report.sent_count += 1
    return report


def deliver_due(*, now: datetime, batch_size: int = 100) -> DeliveryReport:
    """Send up to `batch_size` pending messages whose next attempt is due, oldest due first."""
    released, given_up = release_expired_leases(now=now)
    due = list(
        OutboxMessage.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )[:batch_size]
    )
    report = _deliver(due, now=now)
    report.released_count = released
    report.failed_count += given_up
    report.has_more = len(due) == batch_size and not report.is_stopped
    return report


def deliver_new(dedupe_keys: Sequence[str], *, now: datetime) -> DeliveryReport:
    """Send the messages enqueue() just wrote under `dedupe_keys` that nobody has tried yet.

    Their next_attempt_at is not checked: it is the writer's clock, which may run ahead of this one.
    """
    report = DeliveryReport()
    for start in range(0, len(dedupe_keys), 500):  # stay well below SQLite's limit of query parameters
        messages = list(
            OutboxMessage.objects.filter(
                dedupe_key__in=dedupe_keys[start : start + 500], status=DeliveryStatus.PENDING, attempts=0
            ).order_by("pk")
        )
        part = _deliver(messages, now=now)
        report.sent_count += part.sent_count
        report.retrying_count += part.retrying_count
        report.failed_count += part.failed_count
        report.lost_count += part.lost_count
        if part.is_stopped:
            report.is_stopped = True
            break
    return report
