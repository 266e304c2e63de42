"""The mail thread of a ticket: what a requester mail answers (In-Reply-To, References) and where replies go.

Our own mails about a ticket are outbox rows with a stored Message-ID (notifications). The
requester's mails are the mail app's, above tickets (docs/architecture.md): as with the mail values
(mailvalues.py) it registers a source in its `AppConfig.ready()`. While the mail app turns a message
into a ticket or a reply, it names that message with `answering_mail()`, so that the
acknowledgement or reply notice written in the same transaction already answers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sopdesk.lib.mailthread import message_ids
from sopdesk.notifications.choices import DeliveryChannel
from sopdesk.notifications.models import OutboxMessage

if TYPE_CHECKING:
    from sopdesk.accounts.models import User
    from sopdesk.tickets.models import Ticket

# References keeps the thread's first message and the newest ones (RFC 5322 §3.6.4 allows trimming).
MAX_REFERENCES = 10


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a ticket's mail thread."""

    message_id: str  # with angle brackets
    at: datetime


@dataclass(frozen=True)
class InboundThread:
    """The requester's mails that became a ticket or its replies, and the support address they came to."""

    messages: Sequence[ThreadMessage] = ()
    reply_to: str = ""


@dataclass(frozen=True)
class ThreadHeaders:
    """The threading headers of one outgoing mail (empty strings: none)."""

    in_reply_to: str = ""
    references: str = ""
    reply_to: str = ""


class InboundThreadSource(Protocol):
    def inbound_thread(self, ticket: Ticket) -> InboundThread:
        """Return the requester's mails of `ticket`'s thread, oldest first (one query at most)."""
        ...


class _Sources:
    def __init__(self) -> None:
        self._sources: list[InboundThreadSource] = []

    def register(self, source: InboundThreadSource) -> None:
        if any(type(existing) is type(source) for existing in self._sources):
            return  # ready() can run twice in some test set-ups
        self._sources.append(source)

    def inbound(self, ticket: Ticket) -> InboundThread:
        messages: list[ThreadMessage] = []
        reply_to = ""
        for source in self._sources:
            found = source.inbound_thread(ticket)
            messages.extend(found.messages)
            reply_to = reply_to or found.reply_to
        return InboundThread(messages=messages, reply_to=reply_to)


sources = _Sources()


def register_inbound_thread_source(source: InboundThreadSource) -> None:
    """Have `source` tell the requester's mails of a ticket's thread (call from an AppConfig.ready())."""
    sources.register(source)


_answering: ContextVar[tuple[str, str, datetime] | None] = ContextVar("sopdesk_answering_mail", default=None)


@contextmanager
def answering_mail(*, message_id: str, mailbox_address: str, received_at: datetime) -> Iterator[None]:
    """Make the mails written inside this block answer the inbound message `message_id` (being processed)."""
    token = _answering.set((message_id, mailbox_address, received_at))
    try:
        yield
    finally:
        _answering.reset(token)


def thread_headers(ticket: Ticket, recipient: User, *, is_new_ticket: bool = False) -> ThreadHeaders:
    """Return the threading headers of the next mail to `recipient` about `ticket`.

    In-Reply-To names the thread's newest message (our previous mail to them or their latest mail),
    References its first and newest ones. Reply-To is the support address the ticket came in
    through. One query for our mails, and one per registered source; none for a ticket created in
    this transaction (`is_new_ticket`: its thread is at most the message being answered).
    """
    thread: list[ThreadMessage] = []
    reply_to = ""
    if not is_new_ticket:
        thread += [
            ThreadMessage(message_id=message_id, at=at)
            for message_id, at in OutboxMessage.objects.filter(
                ticket=ticket, recipient=recipient, channel=DeliveryChannel.EMAIL
            )
            .exclude(message_id="")
            .order_by("created_at", "pk")
            .values_list("message_id", "created_at")
        ]
        inbound = sources.inbound(ticket)
        thread.extend(inbound.messages)
        reply_to = inbound.reply_to
    answering = _answering.get()
    if answering is not None:
        message_id, mailbox_address, received_at = answering
        if message_id:
            thread.append(ThreadMessage(message_id=message_id, at=received_at))
        reply_to = reply_to or mailbox_address
    ids: list[str] = []
    for message in sorted(thread, key=lambda item: item.at):
        for found in message_ids(message.message_id):
            if found not in ids:
                ids.append(found)
    if not ids:
        return ThreadHeaders(reply_to=reply_to)
    references = ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return ThreadHeaders(in_reply_to=ids[-1], references=" ".join(references), reply_to=reply_to)
