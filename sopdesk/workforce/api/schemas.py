"""Request and response shapes of the workforce API."""

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.tickets.api.schemas import UserRef
from sopdesk.workforce.choices import Presence, Strategy

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
Code = Field(min_length=1, max_length=50)


class AgentPath(Schema):
    username: PlainStr = Field(max_length=150)


class AgentSkillPath(Schema):
    username: PlainStr = Field(max_length=150)
    category: PlainStr = Field(max_length=50)


class WorkforceTeamPath(Schema):
    code: PlainStr = Field(max_length=50)


class PresenceIn(Schema):
    model_config = _STRICT

    presence: Presence


class ProfileIn(Schema):
    model_config = _STRICT

    capacity: int = Field(ge=1, le=500, description="The most open tickets automatic assignment gives the agent.")
    calendar: PlainStr | None = Field(None, max_length=50, description="Working calendar code; null: always working.")


class SkillIn(Schema):
    model_config = _STRICT

    level: int = Field(ge=1, le=4, description="1 basic, 2 intermediate, 3 advanced, 4 expert.")


class AbsenceIn(Schema):
    model_config = _STRICT

    starts_at: InputDatetime
    ends_at: InputDatetime
    reason: PlainStr = Field("", max_length=200)


class CertificationIn(Schema):
    model_config = _STRICT

    team: PlainStr | None = Field(None, max_length=50, description="Team code (or give a category).")
    category: PlainStr | None = Field(None, max_length=50, description="Category code (or give a team).")
    passed_on: dt.date
    expires_on: dt.date
    assessment: PlainStr = Field("", max_length=200)


class TeamAssignmentIn(Schema):
    model_config = _STRICT

    strategy: Strategy
    backup_team: PlainStr | None = Field(None, max_length=50, description="Team code of the backup group.")
    requires_certification: bool = True


class QualifyingParams(Schema):
    model_config = _STRICT

    category: PlainStr | None = Field(None, max_length=50)


class SkillOut(Schema):
    category: str
    level: int


class AbsenceOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class CertificationOut(Schema):
    id: int
    team: str | None
    category: str | None
    assessment: str
    passed_on: dt.date
    expires_on: dt.date


class AgentOut(Schema):
    agent: UserRef
    presence: Presence
    capacity: int
    calendar: str | None
    open_count: int
    skills: list[SkillOut]
    absences: list[AbsenceOut] = Field(description="Absences that have not ended yet.")
    certifications: list[CertificationOut]


class BoardRowOut(Schema):
    agent: UserRef
    is_lead: bool
    presence: Presence
    capacity: int | None = Field(description="Null: the member has no workforce profile yet.")
    open_count: int
    weighted_load: int
    is_working: bool
    is_absent_today: bool
    is_certified: bool = Field(description="Holds a valid certification for this team.")


class TeamOut(Schema):
    team: str
    strategy: Strategy
    backup_team: str | None
    requires_certification: bool
    members: list[BoardRowOut]


class QualifyingOut(Schema):
    agent: UserRef
    capacity: int
    open_count: int
    weighted_load: int
    skill_level: int


class QualifyingPage(Schema):
    items: list[QualifyingOut]
