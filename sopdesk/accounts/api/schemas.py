from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.core.api import PlainStr


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: PlainStr = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    name: PlainStr = Field("", max_length=100, description="A label for the token, e.g. the integration using it.")


class TokenOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")
    expires_at: datetime


class MeTeamOut(Schema):
    code: str
    name: str


class MeOut(Schema):
    username: str
    display_name: str
    email: str
    role: str
    is_staff_member: bool
    organization: str | None
    teams: list[MeTeamOut]
    language: str
