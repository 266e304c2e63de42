"""Request and response shapes of the phone-call API. Shaping and validation only; no writes."""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.calls.choices import CallDirection, CallOutcome
from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.tickets.api.schemas import UserRef
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class CallIn(Schema):
    model_config = _STRICT

    caller_number: str = Field(min_length=1, max_length=40, description="The caller's phone number.")
    caller_name: str = Field("", max_length=150)
    direction: CallDirection = CallDirection.INBOUND
    ring_at: InputDatetime = Field(description="When the phone started ringing (or the agent dialled).")
    answered_at: InputDatetime | None = Field(None, description="When the call was answered; empty when missed.")
    ended_at: InputDatetime | None = None
    duration_seconds: int | None = Field(
        None, ge=0, le=12 * 3600, description="Talk time; derived from answered_at and ended_at when omitted."
    )
    notes: str = Field("", max_length=TEXT_MAX_LENGTH)
    outcome: CallOutcome = CallOutcome.ANSWERED_ON_CALL


class NewTicketCallIn(CallIn):
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH, description="The new ticket's title.")
    description: str = Field("", max_length=TEXT_MAX_LENGTH, description="Defaults to the call notes.")
    requester: PlainStr | None = Field(
        None,
        max_length=150,
        description="Username of the requester; when omitted, the one requester with the caller's number.",
    )


class CallOut(Schema):
    id: int
    ticket: str = Field(description="The ticket number.")
    agent: UserRef
    caller_number: str
    caller_name: str
    direction: CallDirection
    ring_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    answer_seconds: int | None = Field(description="Seconds from ringing to answer (the 30-second KPI).")
    duration_seconds: int | None
    notes: str
    outcome: CallOutcome
    created_ticket: bool
    created_at: datetime


class AnswerKpiParams(Schema):
    model_config = ConfigDict(extra="forbid")

    since: InputDatetime
    until: InputDatetime
    target_seconds: int = Field(30, ge=1, le=3600)


class AnswerKpiOut(Schema):
    rang_count: int
    answered_count: int
    answered_in_time_count: int
    target_seconds: int
    rate: float | None = Field(description="Share of inbound calls answered within the target; null without calls.")
