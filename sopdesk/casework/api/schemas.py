"""Request and response shapes of the casework and canned-response API. Shaping and validation only; no writes."""

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.casework.choices import AuthorizationState, Language, PlanState, VerificationOutcome
from sopdesk.casework.models import CANNED_BODY_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH
from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.tickets.api.schemas import AttachmentOut, TeamRef, UserRef
from sopdesk.tickets.models import TEXT_MAX_LENGTH

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
_ID = Field(ge=1, le=2**62)


class RecordPath(Schema):
    number: str = Field(max_length=32)
    record_id: int = _ID


class CannedResponsePath(Schema):
    response_id: int = _ID


class DiagnosisStepIn(Schema):
    model_config = _STRICT

    checked: str = Field(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH, description="What was checked.")
    command: str = Field("", max_length=TEXT_MAX_LENGTH, description="The command run or the parameters used.")
    result: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    is_public: bool = Field(False, description="Show the step to the requester (internal by default).")
    attachment_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list,
        max_length=20,
        description="Screenshots: ids of attachments already uploaded to this ticket (public steps: public ones).",
    )


class DiagnosisStepOut(Schema):
    id: int
    checked: str
    command: str
    result: str
    is_public: bool
    attachments: list[AttachmentOut]
    created_by: UserRef
    created_at: datetime


class RemoteAssistanceIn(Schema):
    model_config = _STRICT

    scope: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="What the agent may do and access.")
    method: str = Field(min_length=1, max_length=200, description="The remote tool or method.")
    ends_at: InputDatetime = Field(description="Until when the authorisation is asked for (at most 30 days ahead).")


class GrantIn(Schema):
    model_config = _STRICT

    ends_at: InputDatetime | None = Field(
        None,
        description="Grant a shorter period: an end after now and no later than the end asked for "
        "(omitted: until the end asked for).",
    )


class RefuseIn(Schema):
    model_config = _STRICT

    reason: str = Field("", max_length=TEXT_MAX_LENGTH)


class RejectIn(Schema):
    model_config = _STRICT

    reason: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="Why the plan is rejected.")


class AuthorizationOut(Schema):
    id: int
    scope: str
    method: str
    ends_at: datetime
    state: AuthorizationState = Field(description="A granted authorisation past `ends_at` reads as `expired`.")
    requested_by: UserRef
    requested_at: datetime
    decided_by: UserRef | None
    decided_at: datetime | None
    refusal_reason: str
    revoked_by: UserRef | None
    revoked_at: datetime | None
    allowed_actions: list[str] = Field(description="What the caller may do now: grant, refuse, revoke.")


class SolutionPlanIn(Schema):
    model_config = _STRICT

    steps: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    resources: str = Field("", max_length=TEXT_MAX_LENGTH)
    risks: str = Field("", max_length=TEXT_MAX_LENGTH)
    rollback_plan: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    scheduled_at: InputDatetime | None = Field(None, description="When the plan is carried out; off-peak preferred.")


class OffPeakOut(Schema):
    is_off_peak: bool = Field(description="True when the time lies outside the business calendar's working hours.")
    suggested_at: datetime | None = Field(
        description="Inside working hours: the start of the next off-peak stretch of two hours or more."
    )


class OffPeakParams(Schema):
    at: InputDatetime


class SolutionPlanOut(Schema):
    id: int
    version: int
    steps: str
    resources: str
    risks: str
    rollback_plan: str
    scheduled_at: datetime | None
    off_peak: OffPeakOut | None = Field(description="The off-peak hint for `scheduled_at`; null without either.")
    state: PlanState
    proposed_by: UserRef
    proposed_at: datetime
    decided_by: UserRef | None
    decided_at: datetime | None
    rejection_reason: str
    superseded_at: datetime | None
    allowed_actions: list[str] = Field(description="What the caller may do now: confirm, reject.")


class VerificationIn(Schema):
    model_config = _STRICT

    verified: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="What was verified.")
    outcome: VerificationOutcome
    notes: str = Field("", max_length=TEXT_MAX_LENGTH)
    is_public: bool = Field(False, description="Show the result to the requester (internal by default).")


class VerificationOut(Schema):
    id: int
    verified: str
    outcome: VerificationOutcome
    notes: str
    is_public: bool
    created_by: UserRef
    created_at: datetime


class CannedResponseIn(Schema):
    model_config = _STRICT

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(
        min_length=1,
        max_length=CANNED_BODY_MAX_LENGTH,
        description="Plain text with variables {requester_name}, {ticket_number}, {ticket_title}, {agent_name}, "
        "{team_name}; {{ and }} for literal braces.",
    )
    language: Language
    team: PlainStr | None = Field(
        None, max_length=50, description="Team code for a team response (its leads); omitted: a personal one."
    )


class CannedResponseUpdateIn(Schema):
    model_config = _STRICT

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=CANNED_BODY_MAX_LENGTH)
    language: Language | None = None


class CannedResponseListParams(Schema):
    language: Language | None = None
    q: str | None = Field(None, max_length=200, description="Search in titles and bodies.")
    ticket: str | None = Field(None, max_length=32, description="Ticket number: fill in `rendered` for it.")
    include_inactive: bool = Field(False, description="Also list deactivated ones (to manage them).")


class CannedResponseOut(Schema):
    id: int
    title: str
    body: str
    language: Language
    team: TeamRef | None = Field(description="The team sharing it; null for a personal one.")
    owner: UserRef | None = Field(description="The owner of a personal one; null for a team one.")
    is_active: bool
    may_manage: bool = Field(description="True when the caller may change or deactivate it.")
    rendered: str | None = Field(description="The body filled in for `ticket` (plain text); null without it.")
    created_at: datetime
    updated_at: datetime
