"""Request and response shapes of the SLA API: calendars, dates, policies, breach lists. No writes."""

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import available_timezones

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from sopdesk.core.api import PlainStr
from sopdesk.sla.choices import DateKind, Metric, Weekday
from sopdesk.sla.models import MAX_TARGET_MINUTES, OVERDUE_REASON_MAX_LENGTH
from sopdesk.tickets.api.schemas import TicketSummaryOut, UserRef
from sopdesk.tickets.choices import Channel, Priority

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

# Names that zoneinfo lists but that are not places: "localtime" is whatever the host is set to.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


def _known_time_zone(value: str) -> str:
    if value in _NOT_PLACES or value not in available_timezones():
        raise PydanticCustomError(
            "time_zone",
            _("Unknown time zone “{zone}”; use an IANA name such as Asia/Shanghai."),
            {"zone": value},
        )
    return value


def _channel_or_any(value: str) -> str:
    if value and value not in Channel.values:
        raise PydanticCustomError(
            "channel",
            _("Use one of {channels}, or an empty string for any channel."),
            {"channels": ", ".join(Channel.values)},
        )
    return value


ChannelOrAny = Annotated[
    str,
    AfterValidator(_channel_or_any),
    WithJsonSchema({"type": "string", "enum": ["", *Channel.values], "description": 'A channel; "": any.'}),
]
Code = Annotated[PlainStr, Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")]
"""A calendar code: letters, digits, hyphens and underscores."""
TimeZone = Annotated[PlainStr, Field(max_length=64), AfterValidator(_known_time_zone)]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
EndClockTime = Annotated[
    str,
    Field(
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
        examples=["18:00"],
        description="HH:MM; 00:00 (or 24:00) means midnight at the end of the day.",
    ),
]
TargetMinutes = Annotated[int, Field(ge=1, le=MAX_TARGET_MINUTES)]
EscalationMetric = Literal["assignment", "first_response", "resolution"]
Page = Annotated[int, Field(ge=0, le=1_000_000)]


# --- calendars ------------------------------------------------------------------------------


class WorkingHoursIn(Schema):
    """One stretch of working time on a weekday, in the calendar's local time."""

    model_config = _STRICT

    weekday: Weekday = Field(description="0 = Monday … 6 = Sunday.")
    starts_at: ClockTime = Field(description="HH:MM, local time.")
    ends_at: EndClockTime


class WorkingHoursOut(Schema):
    weekday: Weekday
    starts_at: str = Field(description="HH:MM, local time.")
    ends_at: str = Field(description="HH:MM; 00:00 means midnight at the end of the day.")


WORKING_HOURS_DESCRIPTION = (
    "The complete weekly schedule; it replaces the current one. Intervals of one weekday must not overlap."
)


class CalendarCreateIn(Schema):
    model_config = _STRICT

    code: Code = Field(description="Unique, unchangeable; used in URLs and by policies.")
    name: PlainStr = Field(min_length=1, max_length=200)
    time_zone: TimeZone = Field("Asia/Shanghai", description="IANA time zone the working hours are read in.")
    is_24x7: bool = Field(False, description="Every hour of every day counts; hours and dates are then ignored.")
    is_active: bool = True
    working_hours: list[WorkingHoursIn] = Field(
        default_factory=list, max_length=84, description=WORKING_HOURS_DESCRIPTION
    )


class CalendarUpdateIn(Schema):
    """Partial update; omitted fields stay unchanged. The code cannot change."""

    model_config = _STRICT

    name: PlainStr | None = Field(None, min_length=1, max_length=200)
    time_zone: TimeZone | None = None
    is_24x7: bool | None = None
    is_active: bool | None = Field(None, description="A calendar used by an active policy cannot be deactivated.")
    working_hours: list[WorkingHoursIn] | None = Field(None, max_length=84, description=WORKING_HOURS_DESCRIPTION)


class CalendarOut(Schema):
    code: str
    name: str
    time_zone: str
    is_24x7: bool
    is_active: bool
    revision: int = Field(description="Grows with every change of hours, dates, time zone or 24×7 mode.")
    working_hours: list[WorkingHoursOut]
    years_with_dates: list[int] = Field(
        description="Years with at least one holiday or make-up working day. Other years follow the weekly "
        "hours only: enter their holidays before they start."
    )


class CalendarPage(Schema):
    count: int
    items: list[CalendarOut]


class CalendarListParams(Schema):
    is_active: bool | None = Field(None, description="true: only active calendars; false: only deactivated ones.")
    limit: int = Field(50, ge=1, le=200)
    offset: Page = 0


class CalendarPath(Schema):
    code: PlainStr = Field(max_length=50)


# --- calendar dates -------------------------------------------------------------------------


class CalendarDateIn(Schema):
    model_config = _STRICT

    kind: DateKind = Field(description="holiday: a day off; working_day: a make-up working day (调休).")
    name: PlainStr = Field("", max_length=100, examples=["国庆节"])
    works_like: Weekday | None = Field(
        None,
        description="Working days only: whose working hours apply (0 = Monday … 6 = Sunday). Default: the "
        "date's own weekday for Monday to Friday, else Monday.",
    )


class CalendarDateOut(Schema):
    date: dt.date
    weekday: Weekday = Field(description="The date's own weekday.")
    kind: DateKind
    name: str
    works_like: Weekday | None = Field(description="For working days: whose working hours apply; null for holidays.")


class CalendarDatePage(Schema):
    count: int
    items: list[CalendarDateOut]


class CalendarDateListParams(Schema):
    year: int | None = Field(None, ge=1900, le=9998, examples=[2026])
    kind: DateKind | None = None
    limit: int = Field(100, ge=1, le=400)
    offset: Page = 0


class CalendarDatePath(Schema):
    code: PlainStr = Field(max_length=50)
    date: dt.date = Field(ge=dt.date(1900, 1, 1), le=dt.date(9998, 12, 31), description="YYYY-MM-DD.")


# --- policies -------------------------------------------------------------------------------


class EscalationRuleIn(Schema):
    """What happens when a clock's due instant is `offset_minutes` of business time away."""

    model_config = _STRICT

    id: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="Send the id of an existing rule to keep it: tickets it already escalated are not escalated "
        "again. A rule without id is new.",
    )
    metric: EscalationMetric
    offset_minutes: int = Field(
        ge=-MAX_TARGET_MINUTES,
        le=MAX_TARGET_MINUTES,
        description="Business minutes relative to the due instant: negative before it, positive after it.",
    )
    notify_team_lead: bool = True
    contacts: list[Annotated[PlainStr, Field(min_length=1, max_length=150)]] = Field(
        default_factory=list, max_length=20, description="Usernames of active staff to notify."
    )
    reassign_to_team: PlainStr | None = Field(None, max_length=50, description="Team code (typically the next tier).")
    raise_priority: bool = Field(False, description="Raise the ticket's priority one step.")
    is_active: bool = True


class EscalationRuleOut(Schema):
    id: int
    metric: Metric
    offset_minutes: int
    notify_team_lead: bool
    contacts: list[str]
    reassign_to_team: str | None
    raise_priority: bool
    is_active: bool


RULES_DESCRIPTION = (
    "The complete list of rules; it replaces the current one. A rule must notify the team lead or contacts, "
    "reassign or raise the priority. Rules left out are deleted, or deactivated when they already fired."
)


class PolicyCreateIn(Schema):
    model_config = _STRICT

    name: PlainStr = Field(min_length=1, max_length=200)
    order: int = Field(100, ge=0, le=1_000_000, description="The first matching active policy, by order, applies.")
    is_active: bool = True
    priority: Priority
    customer_level: PlainStr | None = Field(None, max_length=32, description="Customer level code; null: any.")
    category: PlainStr | None = Field(
        None, max_length=50, description="Category code; null: any. A parent category matches its subcategories."
    )
    channel: ChannelOrAny = ""
    calendar: Code = Field(description="Calendar code.")
    assignment_minutes: TargetMinutes | None = None
    first_response_minutes: TargetMinutes | None = None
    resolution_minutes: TargetMinutes | None = None
    update_interval_minutes: TargetMinutes | None = None
    warning_percent: int = Field(75, ge=1, le=99, description="Warn when this share of a target has passed.")
    backup_team: PlainStr | None = Field(
        None, max_length=50, description="Team code: tickets unassigned past the assignment target move there."
    )
    escalation_rules: list[EscalationRuleIn] = Field(default_factory=list, max_length=50, description=RULES_DESCRIPTION)


class PolicyUpdateIn(Schema):
    """Partial update; omitted fields stay unchanged, null clears the optional ones."""

    model_config = _STRICT

    name: PlainStr | None = Field(None, min_length=1, max_length=200)
    order: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None
    priority: Priority | None = None
    customer_level: PlainStr | None = Field(None, max_length=32)
    category: PlainStr | None = Field(None, max_length=50)
    channel: ChannelOrAny | None = None
    calendar: Code | None = None
    assignment_minutes: TargetMinutes | None = None
    first_response_minutes: TargetMinutes | None = None
    resolution_minutes: TargetMinutes | None = None
    update_interval_minutes: TargetMinutes | None = None
    warning_percent: int | None = Field(None, ge=1, le=99)
    backup_team: PlainStr | None = Field(None, max_length=50)
    escalation_rules: list[EscalationRuleIn] | None = Field(None, max_length=50, description=RULES_DESCRIPTION)


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool
    priority: Priority
    customer_level: str | None
    category: str | None
    channel: str
    calendar: str
    assignment_minutes: int | None
    first_response_minutes: int | None
    resolution_minutes: int | None
    update_interval_minutes: int | None
    warning_percent: int
    backup_team: str | None
    escalation_rules: list[EscalationRuleOut]


class PolicyPage(Schema):
    count: int
    items: list[PolicyOut]


class PolicyListParams(Schema):
    is_active: bool | None = None
    priority: Priority | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: Page = 0


class PolicyPath(Schema):
    policy_id: int = Field(ge=1, le=2**62)


# --- breaches -------------------------------------------------------------------------------


class BreachListParams(Schema):
    team: PlainStr = Field(max_length=50, description="Team code.")
    state: Literal["breached", "warning", "all"] = Field(
        "all", description="breached: a clock ran out; warning: a clock passed its warning share; all: both."
    )
    limit: int = Field(50, ge=1, le=200)
    offset: Page = 0


class BreachPage(Schema):
    count: int
    items: list[TicketSummaryOut] = Field(description="Tickets with their SLA clocks as of now.")


class OverdueReasonIn(Schema):
    model_config = _STRICT

    metric: Metric = Field(description="The clock that ran over its target.")
    reason: str = Field(min_length=1, max_length=OVERDUE_REASON_MAX_LENGTH, description="Why it is overdue.")


class OverdueReasonOut(Schema):
    metric: Metric
    reason: str
    recorded_by: UserRef
    recorded_at: dt.datetime
