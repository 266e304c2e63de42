"""The write side of notifications: inbox rows and outbox messages, written in the caller's transaction.

Every notification leaves the system through `enqueue()`; the delivery worker (delivery.py) sends
what it wrote. Re-running a producer is safe: a dedupe key already written creates nothing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.conf import settings
from django.db import connection, transaction

from sopdesk.core.bulk import array_parameters, bulk_cursor, insert_rows
from sopdesk.lib.mailthread import make_message_id, subject_with_number
from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus
from sopdesk.notifications.models import DEDUPE_KEY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Notification, OutboxMessage
from sopdesk.notifications.tasks import schedule_delivery

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.tickets.models import Ticket

_suppressed: ContextVar[bool] = ContextVar("sopdesk_notifications_suppressed", default=False)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """Write no notifications inside this block (bulk imports, demo history: nobody's news)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def are_notifications_suppressed() -> bool:
    return _suppressed.get()


@dataclass(frozen=True)
class OutgoingNotification:
    """One notification for one recipient: an inbox entry and, with `send_email`, an e-mail."""

    recipient: User
    ticket: Ticket | None
    kind: str
    subject: str
    body: str
    dedupe_key: str  # stable per purpose and recipient, e.g. "event:123:user:7"
    send_email: bool = True
    # Mail threading headers (lib.mailthread), e.g. tickets.notifications sets them on requester mails.
    # A mail about a ticket without a Message-ID of its own gets one named after the ticket and the key.
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    reply_to: str = ""

    def __post_init__(self) -> None:
        if not 0 < len(self.dedupe_key) <= DEDUPE_KEY_MAX_LENGTH:
            raise ValueError(f"a dedupe key has 1 to {DEDUPE_KEY_MAX_LENGTH} characters: {self.dedupe_key!r}")


def ticket_message_id(ticket: Ticket, dedupe_key: str) -> str:
    """Return a new Message-ID for the mail `dedupe_key` about `ticket` (names its number; see lib.mailthread).

    Empty when the ticket's number does not have the form replies are matched by.
    """
    tag = re.sub(r"[^A-Za-z0-9]+", "-", dedupe_key).strip("-")[:40] or "mail"
    try:
        return make_message_id(ticket_number=ticket.number, tag=tag, domain=mail_domain())
    except ValueError:
        return ""


def mail_domain() -> str:
    """Return the domain of the desk's Message-IDs (setting SOPDESK_MAIL_DOMAIN)."""
    return str(getattr(settings, "SOPDESK_MAIL_DOMAIN", "") or "localhost")


def _mail_subject(item: OutgoingNotification) -> str:
    subject = one_line(item.subject)
    if item.ticket is not None and item.ticket.number:
        # Replies find their ticket by the number in the subject when the threading headers are lost.
        subject = subject_with_number(subject, ticket_number=item.ticket.number)
    return subject[:SUBJECT_MAX_LENGTH]


def one_line(text: str) -> str:
    """Return `text` with every run of whitespace, line breaks included, as one space (safe for a header)."""
    return " ".join(text.split())


def outbox_key(channel: str, recipient: User, dedupe_key: str) -> str:
    """Return the outbox key of `recipient`'s notification `dedupe_key` on `channel`.

    It names the recipient even when the notification key does not (inbox keys are unique per recipient).
    """
    return outbox_key_for(channel, recipient.pk, dedupe_key)


def outbox_key_for(channel: str, recipient_id: int, dedupe_key: str) -> str:
    """Return the outbox key of a notification by its recipient's id (see `outbox_key`)."""
    return f"{channel}:user:{recipient_id}:{dedupe_key}"


_Pending = TypeVar("_Pending")


def _not_yet_stored(wanted: dict[tuple[int, str], _Pending]) -> list[_Pending]:
    """Return the values of `wanted` whose (recipient id, dedupe key) has no notification yet."""
    if connection.vendor == "sqlite":
        existing = _stored_pairs_sqlite(list(wanted))
    else:
        # Both columns, so that the lookup uses the unique (recipient, dedupe_key) index.
        existing = set(
            Notification.objects.filter(
                recipient_id__in={user_id for user_id, _ in wanted}, dedupe_key__in={key for _, key in wanted}
            )
            .order_by()
            .values_list("recipient_id", "dedupe_key")
        )
    return [value for pair, value in wanted.items() if pair not in existing]


def _stored_pairs_sqlite(pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """SQLite: return which (recipient id, dedupe key) pairs are stored, one index probe per pair.

    The pairs travel as one JSON parameter: no limit on the number of parameters, and no probe of
    every recipient with every key, as two IN lists would make SQLite do (a sweep's batch has hundreds).
    CROSS JOIN fixes the order (SQLite's planner never reorders it): with statistics taken while the
    table was small the planner otherwise scans every notification once per pair, which held the
    write lock for 20 s in a catch-up sweep and made web requests fail.
    """
    with connection.cursor() as cursor:
        cursor.execute(stored_pairs_sql_sqlite(), [json.dumps(pairs)])
        return {(recipient_id, key) for recipient_id, key in cursor.fetchall()}


def stored_pairs_sql_sqlite() -> str:
    """The statement of `_stored_pairs_sqlite` (one parameter: the pairs as a JSON array of arrays)."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    return (
        f"SELECT n.recipient_id, n.dedupe_key FROM json_each(%s) AS j CROSS JOIN {table} AS n"  # noqa: S608
        " ON n.recipient_id = json_extract(j.value, '$[0]') AND n.dedupe_key = json_extract(j.value, '$[1]')"
    )


def enqueue(notifications: Sequence[OutgoingNotification], *, now: datetime, keys_are_new: bool = False) -> int:
    """Write inbox rows and outbox e-mails in the caller's transaction; schedule delivery after commit.

    Inactive recipients are skipped, and so is the e-mail of recipients without an address.
    Return how many notifications were new. `keys_are_new`: the caller knows no key was written
    before (they name a row its transaction just inserted), so the lookup of stored keys is skipped.
    Three queries however many notifications there are
    (SQLite: Django splits inserts at 999 parameters, about 76 e-mails). After commit, delivery is
    nudged (tasks.schedule_delivery).
    """
    if are_notifications_suppressed():
        return 0
    wanted: dict[tuple[int, str], OutgoingNotification] = {}
    for item in notifications:
        if item.recipient.is_active:
            wanted.setdefault((item.recipient.pk, item.dedupe_key), item)
    if not wanted:
        return 0
    with transaction.atomic(savepoint=False):
        new = list(wanted.values()) if keys_are_new else _not_yet_stored(wanted)
        if not new:
            return 0
        # ignore_conflicts: a concurrent run that wrote the same key first wins; this one adds nothing.
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=item.recipient,
                    ticket=item.ticket,
                    kind=item.kind,
                    subject=one_line(item.subject)[:SUBJECT_MAX_LENGTH],
                    body=item.body,
                    created_at=now,
                    dedupe_key=item.dedupe_key,
                )
                for item in new
            ],
            ignore_conflicts=True,
        )
        messages = [
            OutboxMessage(
                channel=DeliveryChannel.EMAIL,
                recipient=item.recipient,
                address=item.recipient.email,
                subject=_mail_subject(item),
                body=item.body,
                dedupe_key=outbox_key(DeliveryChannel.EMAIL, item.recipient, item.dedupe_key),
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
                ticket=item.ticket,
                message_id=item.message_id
                or (ticket_message_id(item.ticket, item.dedupe_key) if item.ticket is not None else ""),
                in_reply_to=one_line(item.in_reply_to),
                references=one_line(item.references),
                reply_to=one_line(item.reply_to),
            )
            for item in new
            if item.send_email and item.recipient.email and item.kind not in item.recipient.email_muted_kinds
        ]
        if messages:
            OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    if messages:
        _deliver_after_commit()
    return len(new)


class NotificationRow(NamedTuple):
    """One notification for one active recipient as a plain row, for producers of thousands (`enqueue_rows`)."""

    recipient_id: int
    email: str  # the recipient's address; empty: inbox only
    ticket_id: int | None
    kind: str
    subject: str
    body: str
    dedupe_key: str  # as OutgoingNotification.dedupe_key
    muted_kinds: Sequence[str] = ()  # the recipient's User.email_muted_kinds: no e-mail for these kinds


_NOTIFICATION_COLUMNS = ("recipient", "ticket", "kind", "subject", "body", "created_at", "dedupe_key")
_OUTBOX_COLUMNS = (
    "channel",
    "recipient",
    "address",
    "subject",
    "body",
    "dedupe_key",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)


def enqueue_rows(rows: Sequence[NotificationRow], *, now: datetime) -> int:
    """Write inbox rows and outbox e-mails as `enqueue` does, set-based, for rows of active recipients.

    No model instances. SQLite: the keys already stored in one query, then each table gets one
    INSERT for all rows (executemany). PostgreSQL: one statement sends every row once (one array
    per column), inserts the inbox rows and, for the ones that were new, the e-mails. Return how
    many notifications were new; at most three queries in all; delivery is nudged after commit.
    """
    if are_notifications_suppressed():
        return 0
    wanted: dict[tuple[int, str], NotificationRow] = {}
    for row in rows:
        if not 0 < len(row.dedupe_key) <= DEDUPE_KEY_MAX_LENGTH:
            raise ValueError(f"a dedupe key has 1 to {DEDUPE_KEY_MAX_LENGTH} characters: {row.dedupe_key!r}")
        wanted.setdefault((row.recipient_id, row.dedupe_key), row)
    if not wanted:
        return 0
    if connection.vendor == "postgresql":
        return _enqueue_rows_postgresql(list(wanted.values()), now=now)
    with transaction.atomic(savepoint=False):
        new = _not_yet_stored(wanted)
        if not new:
            return 0
        subjects = _subjects(new)
        # Conflicts skipped: a concurrent run that wrote the same key first wins; this one adds nothing.
        insert_rows(
            Notification,
            _NOTIFICATION_COLUMNS,
            [
                (row.recipient_id, row.ticket_id, row.kind, subjects[row.subject], row.body, now, row.dedupe_key)
                for row in new
            ],
            ignore_conflicts=True,
        )
        email, pending = DeliveryChannel.EMAIL.value, DeliveryStatus.PENDING.value
        messages = [
            (
                email,
                row.recipient_id,
                row.email,
                subjects[row.subject],
                row.body,
                outbox_key_for(email, row.recipient_id, row.dedupe_key),
                pending,
                0,
                now,
                "",
                now,
            )
            for row in new
            if _mails(row)
        ]
        insert_rows(OutboxMessage, _OUTBOX_COLUMNS, messages, ignore_conflicts=True)
    if messages:
        _deliver_after_commit()
    return len(new)


def _mails(row: NotificationRow) -> bool:
    """Whether `row` also goes out by e-mail: an address, and a kind its recipient has not switched off."""
    return bool(row.email) and row.kind not in row.muted_kinds


def _subjects(rows: Sequence[NotificationRow]) -> dict[str, str]:
    """Return each row's subject as stored: one line, cut to the column (rows of one occasion share theirs)."""
    subjects: dict[str, str] = {}
    for row in rows:
        if row.subject not in subjects:
            subjects[row.subject] = one_line(row.subject)[:SUBJECT_MAX_LENGTH]
    return subjects


_STAGED_NOTIFICATION = ("recipient", "ticket", "kind", "subject", "body", "dedupe_key")
_STAGED_OUTBOX = ("address", "dedupe_key")


@functools.lru_cache(maxsize=1)
def _enqueue_sql_postgresql() -> str:
    quote = connection.ops.quote_name
    inbox, outbox = quote(Notification._meta.db_table), quote(OutboxMessage._meta.db_table)
    staged = [*array_parameters(Notification, _STAGED_NOTIFICATION), *array_parameters(OutboxMessage, _STAGED_OUTBOX)]
    # Only the models' own quoted names go into the text; every value is a parameter. An e-mail is
    # written only for an inbox row this statement wrote: a key stored before (or by a concurrent
    # run) adds neither.
    return (
        f"WITH staged AS (SELECT * FROM UNNEST({', '.join(staged)})"  # noqa: S608
        " AS s(recipient_id, ticket_id, kind, subject, body, dedupe_key, address, outbox_key)),"
        f" inbox AS (INSERT INTO {inbox} (recipient_id, ticket_id, kind, subject, body, created_at, dedupe_key)"
        " SELECT recipient_id, ticket_id, kind, subject, body, %s, dedupe_key FROM staged"
        " ON CONFLICT DO NOTHING RETURNING recipient_id, dedupe_key),"
        f" mail AS (INSERT INTO {outbox} (channel, recipient_id, address, subject, body, dedupe_key, status,"
        " attempts, next_attempt_at, last_error, created_at)"
        " SELECT %s, s.recipient_id, s.address, s.subject, s.body, s.outbox_key, %s, 0, %s, '', %s"
        " FROM inbox INNER JOIN staged AS s ON s.recipient_id = inbox.recipient_id AND s.dedupe_key = inbox.dedupe_key"
        " WHERE s.address <> '' ON CONFLICT DO NOTHING RETURNING dedupe_key)"
        " SELECT (SELECT COUNT(*) FROM inbox), (SELECT ARRAY_AGG(dedupe_key) FROM mail)"
    )


def _enqueue_rows_postgresql(rows: Sequence[NotificationRow], *, now: datetime) -> int:
    subjects = _subjects(rows)
    email = DeliveryChannel.EMAIL.value
    parameters: list[Any] = [
        [row.recipient_id for row in rows],
        [row.ticket_id for row in rows],
        [row.kind for row in rows],
        [subjects[row.subject] for row in rows],
        [row.body for row in rows],
        [row.dedupe_key for row in rows],
        [row.email if _mails(row) else "" for row in rows],
        [outbox_key_for(email, row.recipient_id, row.dedupe_key) for row in rows],
        now,
        email,
        DeliveryStatus.PENDING.value,
        now,
        now,
    ]
    with transaction.atomic(savepoint=False), bulk_cursor() as cursor:
        cursor.execute(_enqueue_sql_postgresql(), parameters)
        result = cursor.fetchone()
    new, keys = (result[0], result[1] or []) if result is not None else (0, [])
    if keys:
        _deliver_after_commit()
    return int(new)


def _deliver_after_commit() -> None:
    # Robust: if the job queue is unavailable the committed messages wait for the every-minute
    # retry job instead of turning a saved change into an error page.
    transaction.on_commit(schedule_delivery, robust=True)
