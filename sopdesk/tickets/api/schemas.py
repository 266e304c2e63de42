"""Request and response shapes of the ticket API. Shaping and validation only; no writes."""

from datetime import datetime

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.core.pagination import COUNT_LIMIT, MAX_OFFSET
from sopdesk.sla.choices import ClockState, Metric
from sopdesk.tickets.choices import (
    Channel,
    Difficulty,
    Frequency,
    Impact,
    Priority,
    Status,
    TicketType,
    Urgency,
)
from sopdesk.tickets.events import kind_choices
from sopdesk.tickets.filters import DEFAULT_ORDERING, ORDERINGS, RELEVANCE
from sopdesk.tickets.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH

Text = str  # plain text: stored as given, escaped wherever it is shown


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


class TicketDetailsIn(Schema):
    """Descriptive fields shared by create and update."""

    model_config = _STRICT

    description: Text = Field("", max_length=TEXT_MAX_LENGTH)
    contact_name: str = Field("", max_length=150)
    contact_phone: str = Field("", max_length=40)
    contact_email: str = Field("", max_length=254)
    channel: Channel = Channel.WEB
    category: PlainStr | None = Field(None, max_length=50, description="Category code.")
    ticket_type: TicketType = TicketType.FAULT
    impact: Impact = Impact.SINGLE_USER
    urgency: Urgency = Urgency.MEDIUM
    difficulty: Difficulty | None = Field(None, description="Staff only.")
    occurred_at: InputDatetime | None = None
    frequency: Frequency = Frequency.UNKNOWN
    steps_to_reproduce: Text = Field("", max_length=TEXT_MAX_LENGTH)
    error_message: Text = Field("", max_length=TEXT_MAX_LENGTH)
    attempted_measures: Text = Field("", max_length=TEXT_MAX_LENGTH)
    business_module: str = Field("", max_length=200)
    device_model: str = Field("", max_length=200)
    software_version: str = Field("", max_length=200)
    operating_system: str = Field("", max_length=200)
    network_environment: str = Field("", max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)


class TicketCreateIn(TicketDetailsIn):
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    requester: PlainStr | None = Field(
        None, max_length=150, description="Username of the requester (staff creating on someone's behalf)."
    )


class TicketUpdateIn(Schema):
    """Partial update by staff; omitted fields stay unchanged. Status and assignment have their own endpoints."""

    model_config = _STRICT

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX_LENGTH)
    description: Text | None = Field(None, max_length=TEXT_MAX_LENGTH)
    contact_name: str | None = Field(None, max_length=150)
    contact_phone: str | None = Field(None, max_length=40)
    contact_email: str | None = Field(None, max_length=254)
    channel: Channel | None = None
    category: PlainStr | None = Field(None, max_length=50)
    ticket_type: TicketType | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    difficulty: Difficulty | None = None
    occurred_at: InputDatetime | None = None
    frequency: Frequency | None = None
    steps_to_reproduce: Text | None = Field(None, max_length=TEXT_MAX_LENGTH)
    error_message: Text | None = Field(None, max_length=TEXT_MAX_LENGTH)
    attempted_measures: Text | None = Field(None, max_length=TEXT_MAX_LENGTH)
    business_module: str | None = Field(None, max_length=200)
    device_model: str | None = Field(None, max_length=200)
    software_version: str | None = Field(None, max_length=200)
    operating_system: str | None = Field(None, max_length=200)
    network_environment: str | None = Field(None, max_length=200)
    tags: list[str] | None = Field(None, max_length=20)
    priority: Priority | None = Field(None, description="Override the computed priority; needs `priority_reason`.")
    priority_reason: str | None = Field(None, max_length=500, description="Why the priority is overridden.")


class ClosureIn(Schema):
    model_config = _STRICT

    problem: Text = Field("", max_length=TEXT_MAX_LENGTH)
    diagnosis: Text = Field("", max_length=TEXT_MAX_LENGTH)
    solution: Text = Field("", max_length=TEXT_MAX_LENGTH)
    effect: Text = Field("", max_length=TEXT_MAX_LENGTH)
    recommendations: Text = Field("", max_length=TEXT_MAX_LENGTH)


class TransitionIn(Schema):
    model_config = _STRICT

    to_status: Status
    reason: Text = Field("", max_length=TEXT_MAX_LENGTH)
    closure: ClosureIn | None = Field(None, description="Required when resolving (problem, diagnosis, solution).")


class CommentIn(Schema):
    model_config = _STRICT

    body: Text = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    is_internal: bool = False


class AssignIn(Schema):
    model_config = _STRICT

    team: PlainStr | None = Field(None, max_length=50, description="Team code; omitted keeps the current team.")
    assignee: PlainStr | None = Field(None, max_length=150, description="Username; null leaves the ticket unassigned.")
    note: Text = Field("", max_length=TEXT_MAX_LENGTH)
    cosigner: PlainStr | None = Field(
        None,
        max_length=150,
        description="Username of a certified team member who signs for an assignee not yet certified to work alone.",
    )


class TicketListParams(Schema):
    """Filters, ordering and pagination of the ticket list (validated again by TicketFilterSet)."""

    status: list[Status] | None = None
    priority: list[Priority] | None = None
    channel: list[Channel] | None = None
    category: str | None = Field(None, max_length=50)
    team: str | None = Field(None, max_length=50)
    assignee: str | None = Field(None, max_length=150)
    requester: str | None = Field(None, max_length=150)
    organization: int | None = Field(None, ge=1, le=2**31)
    created_after: InputDatetime | None = None
    created_before: InputDatetime | None = None
    q: str | None = Field(None, max_length=200)
    ordering: str = Field(
        DEFAULT_ORDERING,
        description="One of: "
        + ", ".join(ORDERINGS)
        + f"; `{RELEVANCE}` (best match first, only with `q`; pages by `next_cursor` or `offset`)",
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(
        None,
        max_length=1000,
        description="`next_cursor` of the previous page: the page after it, in the same ordering.",
    )
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description="Rows to skip; for deeper pages follow `next_cursor` instead."
    )


class EventListParams(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class AttachmentPath(Schema):
    number: str = Field(max_length=32)
    attachment_id: int = Field(ge=1, le=2**62)


class AnswerSchema(BaseModel):
    """An answer the serializers build as plain dicts.

    Validated by pydantic alone: ninja's `Schema` wraps every nested object to read model
    attributes, which cost a list of 50 tickets about a fifth of its CPU (bench/README.md).
    """


class UserRef(AnswerSchema):
    username: str
    display_name: str


class TeamRef(AnswerSchema):
    code: str
    name: str


class CategoryRef(AnswerSchema):
    code: str
    name: str


class SlaClockOut(AnswerSchema):
    metric: Metric
    state: ClockState
    target_minutes: int | None = Field(description="The target in business minutes; null: no target.")
    due_at: datetime | None = Field(description="When the clock runs out (for a paused clock: before the pause).")
    met_at: datetime | None
    breached_at: datetime | None = Field(description="When the target was missed, if it was.")
    remaining_seconds: int | None = Field(
        description="Business time left (negative when overdue); null when met or without a target."
    )


class SlaOut(AnswerSchema):
    state: ClockState = Field(description="The most urgent clock: breached, warning, ok, paused, met or none.")
    policy: str | None = Field(description="The SLA policy the ticket is measured against.")
    paused_seconds: int = Field(
        description="Business time the resolution clock stood still (waiting for the customer)."
    )
    clocks: list[SlaClockOut]


class TicketSummaryOut(AnswerSchema):
    number: str
    title: str
    status: Status
    priority: Priority
    channel: Channel
    category: CategoryRef | None
    team: TeamRef | None
    assignee: UserRef | None
    requester: UserRef
    created_at: datetime
    updated_at: datetime
    sla: SlaOut


class ClosureOut(Schema):
    problem: str
    diagnosis: str
    solution: str
    effect: str
    recommendations: str


class TicketOut(TicketSummaryOut):
    description: str
    contact_name: str
    contact_phone: str
    contact_email: str
    organization: str | None
    requester_type: str
    ticket_type: TicketType
    impact: Impact
    urgency: Urgency
    priority_is_overridden: bool
    priority_override_reason: str | None = Field(description="Staff only; null for requesters.")
    difficulty: Difficulty
    occurred_at: datetime | None
    frequency: str
    steps_to_reproduce: str
    error_message: str
    attempted_measures: str
    business_module: str
    device_model: str
    software_version: str
    operating_system: str
    network_environment: str
    tags: list[str]
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    closure: ClosureOut | None
    allowed_transitions: list[Status] = Field(description="Statuses the caller may move this ticket to now.")
    version: int = Field(description="Changes with every change of the ticket; the `ETag` header carries it.")


class TicketPage(AnswerSchema):
    count: int = Field(description=f"Matching tickets, counted up to {COUNT_LIMIT:,}; see `count_exact`.")
    count_exact: bool = Field(
        description=f"False when more than {COUNT_LIMIT:,} tickets match (`count` is then the bound)."
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    items: list[TicketSummaryOut]


class EventOut(Schema):
    id: int
    # Every app adds its own kinds to the timeline (tickets.events registry); the schema lists them all,
    # as they are registered when the API is assembled, and never refuses a kind when answering.
    kind: str = Field(
        description="The kind of timeline entry.",
        json_schema_extra={"enum": [value for value, _label in kind_choices()]},
    )
    actor: UserRef | None
    created_at: datetime
    is_internal: bool
    body: str
    data: dict[str, object]


class EventPage(Schema):
    count: int
    items: list[EventOut]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    is_internal: bool
    uploaded_by: UserRef
    created_at: datetime
