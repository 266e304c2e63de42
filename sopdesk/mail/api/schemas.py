"""Shapes of the inbound mail endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.models import InboundMail
from sopdesk.tickets.api.schemas import AnswerSchema


class InboundMailListParams(Schema):
    state: MailState | None = None
    mailbox: int | None = Field(None, description="Id of a mailbox.")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


class InboundMailPath(Schema):
    mail_id: int


class MailboxPath(Schema):
    mailbox_id: int


class MailboxRef(AnswerSchema):
    id: int
    name: str
    address: str


class InboundMailOut(AnswerSchema):
    id: int
    mailbox: MailboxRef
    source: MailSource
    state: MailState
    error: str
    message_id: str
    from_address: str
    subject: str
    size: int
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    ticket: str | None = Field(description="Number of the ticket the mail became or was added to.")
    headers: dict[str, Any]


class InboundMailPage(AnswerSchema):
    count: int
    items: list[InboundMailOut]


def inbound_mail_out(mail: InboundMail) -> dict[str, Any]:
    return {
        "id": mail.pk,
        "mailbox": {"id": mail.mailbox.pk, "name": mail.mailbox.name, "address": mail.mailbox.address},
        "source": mail.source,
        "state": mail.state,
        "error": mail.error,
        "message_id": mail.message_id,
        "from_address": mail.from_address,
        "subject": mail.subject,
        "size": mail.size,
        "received_at": mail.received_at,
        "processed_at": mail.processed_at,
        "attempts": mail.attempts,
        "ticket": mail.ticket.number if mail.ticket is not None else None,
        "headers": mail.headers,
    }
