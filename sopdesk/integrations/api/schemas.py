"""Request and response shapes of the outbox API (administrators)."""

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from sopdesk.notifications.choices import DeliveryChannel, DeliveryStatus


class OutboxListParams(Schema):
    channel: DeliveryChannel | None = Field(None, description="Only messages of this channel.")
    status: DeliveryStatus | None = Field(
        None, description="Only messages in this state; `failed` are the dead letters."
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class OutboxMessageOut(Schema):
    id: int
    channel: DeliveryChannel
    target: str = Field(description="The recipient's address, or the robot's or webhook's name (never its URL).")
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str = Field(description="Why the last attempt failed; empty when none did.")
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(Schema):
    count: int
    items: list[OutboxMessageOut]


class OutboxPath(Schema):
    message_id: int = Field(ge=1, le=2**62)


class OutboxRetryIn(Schema):
    ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        min_length=1, max_length=500, description="Failed messages to send again."
    )


class OutboxRetryOut(Schema):
    retried_count: int = Field(description="How many of them were failed and are pending again.")
