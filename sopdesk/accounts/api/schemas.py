from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from sopdesk.lib.text import has_forbidden_characters


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field("", max_length=100, description="A label for the token, e.g. the integration using it.")

    @field_validator("username", "name")
    @classmethod
    def _plain_text(cls, value: str) -> str:
        # The username reaches the user and lockout tables; PostgreSQL cannot even compare NUL.
        if has_forbidden_characters(value):
            raise ValueError("must not contain control characters")
        return value


class TokenOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")
    expires_at: datetime


class TeamRef(Schema):
    code: str
    name: str


class MeOut(Schema):
    username: str
    display_name: str
    email: str
    role: str
    is_staff_member: bool
    organization: str | None
    teams: list[TeamRef]
    language: str
