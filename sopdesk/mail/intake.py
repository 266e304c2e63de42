"""Intake: store a raw message before anything reads it, once, and schedule its processing.

Every transport (IMAP poller, SMTP receiver, `.eml` upload, `import_eml`) hands the bytes to
`receive_raw`, which commits them in a transaction of its own. Only after it returned may the
transport forget its copy (flag or move the message on the IMAP server, answer 250 over SMTP).
Parsing and ticket work run afterwards, in a job; whatever fails there, the raw stays.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.db import IntegrityError, transaction

from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.models import MESSAGE_ID_MAX_LENGTH, InboundMail, Mailbox

_ID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,900}>")
# Only the header block is read at intake: a broken body cannot stop the store.
_HEADER_BYTES = 256 * 1024


def message_id_of(raw: bytes) -> str:
    """Return the Message-ID of `raw` as `<local@domain>` ('' when it has none or it is unreadable).

    An id longer than the column is replaced by a digest of it, which is stable too.
    """
    head = raw[:_HEADER_BYTES]
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        value = str(headers.get("Message-ID", "") or "")
    except Exception:
        return ""
    match = _ID.search(value.replace("\r", "").replace("\n", ""))
    if match is None:
        return ""
    found = match.group(0)
    if len(found) > MESSAGE_ID_MAX_LENGTH:
        return "<sha256." + hashlib.sha256(found.encode("utf-8", "replace")).hexdigest() + "@long-message-id>"
    return found


def receive_raw(*, mailbox: Mailbox, raw: bytes, source: str, now: datetime, server_uid: str = "") -> InboundMail:
    """Commit `raw` as an InboundMail of `mailbox` and schedule its processing; return the row.

    Idempotent: a message stored before (same Message-ID, or the same bytes when it has none)
    gives the existing row and stores nothing. Runs in a transaction of its own (refused inside
    another one): when it returns, the message is durable.
    """
    if source not in MailSource.values:
        raise ValueError(f"unknown mail source: {source!r}")
    raw = bytes(raw)
    message_id = message_id_of(raw)
    sha256 = hashlib.sha256(raw).hexdigest()
    with transaction.atomic(durable=True):
        existing = _existing(message_id=message_id, sha256=sha256)
        if existing is None:
            try:
                with transaction.atomic():
                    existing = InboundMail.objects.create(
                        mailbox=mailbox,
                        source=source,
                        server_uid=server_uid[:100],
                        message_id=message_id,
                        sha256=sha256,
                        size=len(raw),
                        raw=raw,
                        received_at=now,
                    )
            except IntegrityError:
                # Another worker stored the same message a moment ago.
                existing = _existing(message_id=message_id, sha256=sha256)
                if existing is None:
                    raise
        mail = existing
        if mail.state == MailState.RECEIVED:
            transaction.on_commit(lambda: _schedule(mail.pk), robust=True)
    return mail


def _existing(*, message_id: str, sha256: str) -> InboundMail | None:
    rows = InboundMail.objects.defer("raw")
    if message_id:
        return rows.filter(message_id=message_id).first()
    return rows.filter(message_id="", sha256=sha256).first()


def _schedule(mail_id: int) -> None:
    from sopdesk.mail.tasks import process_inbound_mail

    process_inbound_mail(mail_id)
