"""Request and response shapes of the inbox API."""

from datetime import datetime

from ninja import Schema
from pydantic import Field


class InboxParams(Schema):
    unread: bool | None = Field(None, description="true: only unread notifications.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class NotificationPath(Schema):
    notification_id: int = Field(ge=1, le=2**62)


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="ticket_event, sla_warning, sla_breach, sla_escalation; more may be added.")
    kind_label: str
    subject: str
    body: str
    ticket_number: str | None
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class NotificationPage(Schema):
    count: int
    unread_count: int
    items: list[NotificationOut]


class ReadAllOut(Schema):
    marked_count: int = Field(description="How many unread notifications were marked read.")
