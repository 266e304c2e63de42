"""The built-in SMTP receiver (optional): mail delivered straight to the desk, stored through intake.

A relay (Postfix, a cloud mail service) hands mail for the support addresses to this server instead
of a mailbox that is polled. Each recipient must be the address of an active mailbox (else 550,
the sender's server bounces it); a message over the size limit is refused with 552. The server
answers 250 only after `intake.receive_raw` committed the message, and 451 (try again later) when
storing failed: the sending server keeps its copy until then, so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from sopdesk.mail.choices import MailSource
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import Mailbox

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2525
# Recipients per message (RFC 5321 asks servers to accept at least 100).
MAX_RECIPIENTS = 100


def active_mailbox_for(address: str) -> Mailbox | None:
    """Return the active mailbox whose support address is `address` (case-insensitive), or None."""
    with _connection():
        return Mailbox.objects.filter(is_active=True, address__iexact=address.strip()).first()


@contextmanager
def _connection() -> Iterator[None]:
    # The receiver's worker thread opens its own connection per call and closes it: an idle server
    # holds none (a connection kept open would outlive database restarts and block dropping a database).
    close_old_connections()
    try:
        yield
    finally:
        connection.close()


def store(recipients: list[str], raw: bytes) -> bool:
    """Store `raw` for the first recipient that is an active mailbox; return False when none is (any more).

    Once is enough: intake is idempotent, the same message for another mailbox gives the same row.
    """
    with _connection():
        for address in recipients:
            mailbox = Mailbox.objects.filter(is_active=True, address__iexact=address.strip()).first()
            if mailbox is not None:
                receive_raw(mailbox=mailbox, raw=raw, source=MailSource.SMTP, now=timezone.now())
                return True
    return False


class IntakeHandler:
    """aiosmtpd handler: refuse unknown recipients, store accepted messages before answering 250."""

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            mailbox = await sync_to_async(active_mailbox_for)(address)
        except Exception:
            # The database is unavailable: a temporary failure, so that the sender tries again.
            logger.exception("SMTP receiver: the recipient %r could not be looked up", address)
            return "451 4.3.0 Temporary failure; try again later"
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        try:
            stored = await sync_to_async(store)(list(envelope.rcpt_tos), bytes(raw))
        except Exception:
            logger.exception("SMTP receiver: a message could not be stored; the sender will retry")
            return "451 4.3.0 The message could not be stored; try again later"
        if not stored:
            return "554 5.5.1 No valid recipients"
        return "250 2.0.0 Message stored"


def make_controller(*, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **smtp_options: Any) -> Controller:
    """Return a (not yet started) SMTP server for the intake on `host`:`port` with the size limit of the settings."""
    return Controller(
        IntakeHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.SOPDESK_MAIL_MAX_BYTES,
        decode_data=False,
        enable_SMTPUTF8=True,
        ident="sopdesk",
        **smtp_options,
    )
