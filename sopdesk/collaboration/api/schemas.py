"""Request and response shapes of the collaboration API. Shaping and validation only; no writes."""

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.collaboration.choices import CollaborationState, WayOfWorking
from sopdesk.collaboration.models import SHORT_TEXT_MAX_LENGTH
from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.tickets.api.schemas import TeamRef, UserRef
from sopdesk.tickets.models import TEXT_MAX_LENGTH

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class RequestPath(Schema):
    request_id: int = Field(ge=1, le=2**62)


class CollaborationTeamPath(Schema):
    code: str = Field(max_length=50)


class CollaborationRequestIn(Schema):
    model_config = _STRICT

    to_team: PlainStr = Field(max_length=50, description="Code of the team asked for help.")
    needed: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH, description="What is needed from that team.")
    deliverable: str = Field(min_length=1, max_length=SHORT_TEXT_MAX_LENGTH, description="What they hand back.")
    deadline_at: InputDatetime = Field(description="When the deliverable is needed.")
    way_of_working: WayOfWorking = WayOfWorking.HAND_OVER


class NoteIn(Schema):
    model_config = _STRICT

    note: str = Field("", max_length=TEXT_MAX_LENGTH)


class RequiredNoteIn(Schema):
    model_config = _STRICT

    note: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)


class ReasonIn(Schema):
    model_config = _STRICT

    reason: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)


class TicketRefOut(Schema):
    number: str
    title: str


class CollaborationRequestOut(Schema):
    id: int
    ticket: TicketRefOut
    from_team: TeamRef | None
    to_team: TeamRef
    needed: str
    deliverable: str
    deadline_at: datetime
    way_of_working: WayOfWorking
    state: CollaborationState
    is_open: bool
    requested_by: UserRef
    requested_at: datetime
    accept_due_at: datetime = Field(description="When the receiving team must have accepted or rejected it.")
    is_acceptance_overdue: bool = Field(description="Still unanswered after `accept_due_at`.")
    acceptance_late_at: datetime | None = Field(description="When the late acceptance was flagged and escalated.")
    responded_by: UserRef | None
    responded_at: datetime | None
    reject_reason: str
    started_at: datetime | None
    delivered_at: datetime | None
    delivery_note: str
    return_reason: str
    closed_at: datetime | None
    may_answer: bool = Field(description="The caller may accept, reject, report progress and deliver.")


class RequestListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(None, max_length=50, description="Code of a receiving team: its inbox.")
    include_closed: bool = Field(False, description="Also rejected, confirmed and withdrawn requests.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100_000)


class RequestPage(Schema):
    count: int
    items: list[CollaborationRequestOut]


class StatsParams(Schema):
    model_config = ConfigDict(extra="forbid")

    since: date = Field(description="First day (in the desk's time zone) of requests counted.")
    until: date = Field(description="Day after the last one counted.")


class TeamStatsOut(Schema):
    team: TeamRef
    received_count: int
    confirmed_count: int
    rejected_count: int
    withdrawn_count: int
    answered_count: int
    answered_late_count: int
    completion_rate: float | None = Field(description="Confirmed out of the requests not withdrawn.")
    on_time_acceptance_rate: float | None
    average_acceptance_seconds: float | None = Field(description="From request to acceptance or rejection.")


class TeamSettingsIn(Schema):
    model_config = _STRICT

    calendar: PlainStr | None = Field(None, max_length=50, description="Calendar code; null: the desk's default.")
    acceptance_working_days: int | None = Field(None, ge=1, le=30, description="Null: the desk's setting.")


class TeamSettingsOut(Schema):
    team: TeamRef
    calendar: str | None
    acceptance_working_days: int | None
    effective_acceptance_working_days: int
