"""Request and response shapes of the audit log API."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from sopdesk.audit.choices import Operation
from sopdesk.core.api import InputDatetime, PlainStr


class ConfigChangeListParams(Schema):
    object_type: PlainStr | None = Field(
        None,
        max_length=100,
        pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$",
        description="The kind of object, e.g. sla.calendar, sla.calendardate, sla.slapolicy, tickets.priorityrule.",
    )
    object_id: PlainStr | None = Field(None, max_length=64, description="One object's id (with object_type).")
    actor: PlainStr | None = Field(None, max_length=150, description="Username of who made the change.")
    since: InputDatetime | None = Field(None, description="Changes at or after this instant.")
    until: InputDatetime | None = Field(None, description="Changes before this instant.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ConfigChangeOut(Schema):
    id: int
    changed_at: datetime
    actor: str | None = Field(description="Username; null for a command run on the server.")
    operation: Operation
    object_type: str
    object_type_label: str
    object_id: str
    object_repr: str = Field(description="The object's name when it was changed.")
    before: dict[str, Any] = Field(description="The changed fields' values before; empty for a creation.")
    after: dict[str, Any] = Field(description="The changed fields' values after; empty for a deletion.")


class ConfigChangePage(Schema):
    count: int
    items: list[ConfigChangeOut]
