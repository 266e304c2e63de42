"""The consumer side of the outbox: claim due messages a batch at a time, send them, record the outcome.

Delivery is at least once: a claim is a lease, and a worker that outlives its lease (or dies) hands
the message to the next one. Two live workers never send the same message.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.db.models import F, QuerySet

from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Long enough for one message at EMAIL_TIMEOUT, and for a batch of healthy sends: a batch is
# claimed at once, and a failure ends it and hands the rest back (see _deliver).
LEASE = timedelta(minutes=15)
# Rows per claim statement: two parameters each, well below SQLite's limit of 999 per statement.
_CLAIM_CHUNK = 400
_RECORD_EVERY = 25
BACKOFF_CAP = timedelta(hours=1)
LAST_ERROR_MAX_LENGTH = 2000
INTERRUPTED = "The delivery was interrupted: the worker stopped or timed out before it finished."


class DeliveryFailed(Exception):
    """A channel refused or lost a message without raising an error of its own."""


class ChannelSender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...

    def close(self) -> None: ...


class _RenderedOnce(EmailMessage):
    """An e-mail whose MIME form is built once: the sender renders it to check it, the backend again to send.

    Building the MIME message (headers encoded, the body's charset applied) was two thirds of the
    delivery worker's time per mail, half of it the second, identical build.
    """

    _rendered: Any = None

    def message(self, *args: Any, **kwargs: Any) -> Any:
        if self._rendered is None:
            self._rendered = super().message(*args, **kwargs)
        return self._rendered


class EmailSender:
    """Send e-mail through Django's mail backend, one connection (SMTP session) per batch."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def send(self, message: OutboxMessage) -> None:
        email = _RenderedOnce(
            # A header is one line: enqueue() already collapsed whitespace, this keeps rows written
            # any other way from being refused (or worse) by the mail library.
            subject=" ".join(message.subject.split()),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers=threading_headers(message),
            reply_to=[message.reply_to] if message.reply_to else None,
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


def threading_headers(message: OutboxMessage) -> dict[str, str]:
    """Return the stored Message-ID, In-Reply-To and References of `message` (a retry sends the same ones)."""
    headers = {
        "Message-ID": message.message_id,
        "In-Reply-To": message.in_reply_to,
        "References": message.references,
    }
    # One line each: a line break in a stored value must not start a header of its own.
    return {name: " ".join(value.split()) for name, value in headers.items() if value.strip()}


SenderFactory = Callable[[], ChannelSender]

# One sender per channel; apps add theirs (the chat robots and webhooks of sopdesk.integrations)
# with register_sender() in their AppConfig.ready().
_SENDER_FACTORIES: dict[str, SenderFactory] = {DeliveryChannel.EMAIL.value: EmailSender}


def register_sender(channel: str, factory: SenderFactory) -> None:
    """Have messages of `channel` sent by senders `factory` makes (one per delivery batch)."""
    _SENDER_FACTORIES[str(channel)] = factory


def registered_channels() -> tuple[str, ...]:
    return tuple(_SENDER_FACTORIES)


class _Senders:
    """The senders of one batch, made when the batch first needs one, all closed at its end."""

    def __init__(self) -> None:
        self._senders: dict[str, ChannelSender] = {}

    def get(self, channel: str) -> ChannelSender | None:
        sender = self._senders.get(channel)
        if sender is None:
            factory = _SENDER_FACTORIES.get(channel)
            if factory is None:
                return None
            sender = self._senders[channel] = factory()
        return sender

    def close(self) -> None:
        for sender in self._senders.values():
            sender.close()


@contextlib.contextmanager
def _senders() -> Iterator[_Senders]:
    senders = _Senders()
    try:
        yield senders
    finally:
        senders.close()


def failure_scope(message: OutboxMessage) -> str:
    """Return what a transient failure of `message` says is down: the mail server, or one chat/webhook target.

    After such a failure the batch sends nothing more to the same scope (it would wait out the same
    timeout) but goes on with the others: a broken robot does not hold up the e-mail.
    """
    if message.channel == DeliveryChannel.EMAIL:
        return DeliveryChannel.EMAIL.value
    return f"{message.channel}:{message.address}"


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
    return bool(claim_batch([message], now=now))


def claim_batch(messages: Sequence[OutboxMessage], *, now: datetime) -> list[OutboxMessage]:
    """Take the `messages` still pending as read for sending, in one statement; return those taken.

    Compare-and-set per row (status and attempts as read), so two workers never take the same
    message; a row another worker took or changed since it was read is left out. The lease runs
    until now + LEASE. RETURNING names exactly the rows this statement changed (SQLite 3.35+).
    """
    if not messages:
        return []
    claimed_until = now + LEASE
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    taken: set[int] = set()
    for start in range(0, len(messages), _CLAIM_CHUNK):
        chunk = messages[start : start + _CLAIM_CHUNK]
        rows = ", ".join(["(%s, %s)"] * len(chunk))
        parameters: list[Any] = [
            DeliveryStatus.SENDING.value,
            connection.ops.adapt_datetimefield_value(claimed_until),
            DeliveryStatus.PENDING.value,
        ]
        for message in chunk:
            parameters += [message.pk, message.attempts]
        with connection.cursor() as cursor:
            # Only the model's quoted table name goes into the text; every value is a parameter.
            cursor.execute(
                f"UPDATE {table} SET status = %s, attempts = attempts + 1, claimed_until = %s"  # noqa: S608
                f" WHERE status = %s AND (id, attempts) IN (VALUES {rows}) RETURNING id",
                parameters,
            )
            taken.update(row[0] for row in cursor.fetchall())
    claimed = []
    for message in messages:
        if message.pk in taken:
            message.status, message.attempts, message.claimed_until = (
                DeliveryStatus.SENDING,
                message.attempts + 1,
                claimed_until,
            )
            claimed.append(message)
    return claimed


def _claimed(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    # Our claim still holds: nobody released the lease and claimed the message again.
    return OutboxMessage.objects.filter(pk=message.pk, status=DeliveryStatus.SENDING, attempts=message.attempts)


def _claimed_batch(messages: Sequence[OutboxMessage]) -> QuerySet[OutboxMessage]:
    # The messages of one claim_batch() share its lease end; a message released and claimed again by
    # another worker has a later one.
    return OutboxMessage.objects.filter(
        pk__in=[message.pk for message in messages],
        status=DeliveryStatus.SENDING,
        claimed_until=messages[0].claimed_until,
    )


def record_sent(message: OutboxMessage, *, now: datetime) -> None:
    """Mark a claimed message sent."""
    record_sent_batch([message], now=now)


def record_sent_batch(messages: Sequence[OutboxMessage], *, now: datetime) -> None:
    """Mark messages of one claim sent, in one statement."""
    if not messages:
        return
    updated = _claimed_batch(messages).update(status=DeliveryStatus.SENT, sent_at=now, claimed_until=None)
    if updated != len(messages):
        logger.warning(
            "Outbox: %d of %d messages were sent after their lease expired; they may go out twice",
            len(messages) - updated,
            len(messages),
        )
    for message in messages:
        message.status, message.sent_at, message.claimed_until = DeliveryStatus.SENT, now, None


def release_unsent(messages: Sequence[OutboxMessage]) -> None:
    """Hand claimed messages that were not tried back, as they were before the claim (a batch stopped early)."""
    if messages:
        _claimed_batch(messages).update(status=DeliveryStatus.PENDING, attempts=F("attempts") - 1, claimed_until=None)
        for message in messages:
            message.status, message.attempts, message.claimed_until = (
                DeliveryStatus.PENDING,
                message.attempts - 1,
                None,
            )


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
    claimed = claim_batch(messages, now=now)
    report.lost_count = len(messages) - len(claimed)
    sent: list[OutboxMessage] = []
    stopped: set[str] = set()
    unsent: list[OutboxMessage] = []
    with _senders() as senders:
        for message in claimed:
            scope = failure_scope(message)
            if scope in stopped:
                unsent.append(message)
                continue
            sender = senders.get(message.channel)
            try:
                if sender is None:
                    raise ValueError(f"No sender for the channel {message.channel!r}.")
                sender.send(message)
            except ValueError as exc:
                # The message itself cannot be sent (unknown channel, malformed address or header, a
                # refused target): retrying will not help.
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
                # The server is probably down: every further message to it would wait out the timeout
                # and stretch the batch past its leases. Those wait for the next run.
                report.is_stopped = True
                stopped.add(scope)
            else:
                sent.append(message)
                report.sent_count += 1
                if len(sent) == _RECORD_EVERY:
                    # Recorded in groups: a worker that dies mid-batch re-sends at most this many.
                    record_sent_batch(sent, now=now)
                    sent = []
    record_sent_batch(sent, now=now)
    release_unsent(unsent)
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


def untried_messages() -> QuerySet[OutboxMessage]:
    """The messages nobody has tried to send yet, oldest first (read through the `outbox_untried` index)."""
    return OutboxMessage.objects.filter(status=DeliveryStatus.PENDING, attempts=0).order_by("pk")


def deliver_new(*, now: datetime, batch_size: int = 100) -> DeliveryReport:
    """Send every message nobody has tried yet (queued, or given a fresh start by an admin), oldest first.

    This is the after-commit delivery: one run sends what many transactions queued. Their
    next_attempt_at is not checked: it is the writer's clock, which may run ahead of this one.
    """
    report = DeliveryReport()
    while True:
        messages = list(untried_messages()[:batch_size])
        part = _deliver(messages, now=now)
        report.sent_count += part.sent_count
        report.retrying_count += part.retrying_count
        report.failed_count += part.failed_count
        report.lost_count += part.lost_count
        if part.is_stopped:
            report.is_stopped = True
            return report
        # A short batch was the last; a batch another worker took entirely is that worker's to finish.
        if len(messages) < batch_size or part.lost_count == len(messages):
            return report
