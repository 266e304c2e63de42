"""Request and response shapes of the routing API: rules, specialist teams, tiered escalation."""

from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field

from sopdesk.core.api import PlainStr
from sopdesk.routing.actions import REASON_MAX_LENGTH
from sopdesk.routing.models import KEYWORDS_MAX_LENGTH
from sopdesk.tickets.choices import Channel, Difficulty, Priority, TicketType

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
Code = Annotated[PlainStr, Field(min_length=1, max_length=50)]
Position = Annotated[int, Field(ge=1, le=1_000_000, description="Rules are tried in ascending position.")]


class RuleIn(Schema):
    """A rule: a new ticket matching every condition given goes to `team`; the first match by position wins."""

    model_config = _STRICT

    position: Position
    name: PlainStr = Field(min_length=1, max_length=100)
    is_active: bool = True
    team: Code = Field(description="Target team code.")
    category: Code | None = Field(None, description="Category code; a parent category matches its subcategories.")
    ticket_type: TicketType | None = None
    channel: Channel | None = None
    customer_level: Code | None = Field(None, description="Customer level code.")
    priority: Priority | None = None
    min_difficulty: Difficulty | None = Field(None, description="Matches tickets of at least this difficulty.")
    keywords: str = Field(
        "",
        max_length=KEYWORDS_MAX_LENGTH,
        description="Comma-separated; matches when the title or description contains any (case-insensitive).",
    )


class RuleUpdateIn(Schema):
    """Partial update; omitted fields stay unchanged, null clears a condition."""

    model_config = _STRICT

    position: Position | None = None
    name: PlainStr | None = Field(None, min_length=1, max_length=100)
    is_active: bool | None = None
    team: Code | None = None
    category: Code | None = None
    ticket_type: TicketType | None = None
    channel: Channel | None = None
    customer_level: Code | None = None
    priority: Priority | None = None
    min_difficulty: Difficulty | None = None
    keywords: str | None = Field(None, max_length=KEYWORDS_MAX_LENGTH)


class RuleOut(Schema):
    id: int
    position: int
    name: str
    is_active: bool
    team: str
    category: str | None
    ticket_type: TicketType | None
    channel: Channel | None
    customer_level: str | None
    priority: Priority | None
    min_difficulty: Difficulty | None
    keywords: str


class RulePage(Schema):
    count: int
    items: list[RuleOut]


class RulePath(Schema):
    rule_id: int = Field(ge=1, le=2**62)


class SpecialistOut(Schema):
    category: str
    team: str


class SpecialistPath(Schema):
    category: Code


class SpecialistIn(Schema):
    model_config = _STRICT

    team: Code = Field(description="The team that takes the category's tickets of difficulty 2 and above.")


class EscalationIn(Schema):
    model_config = _STRICT

    reason: str = Field(min_length=1, max_length=REASON_MAX_LENGTH, description="Why the next tier is needed.")
    team: Code | None = Field(
        None, description="A team of the next tier; default: the category's specialist team, else the first by name."
    )


class EscalationOut(Schema):
    event_id: int
    team: str
    from_tier: str
    to_tier: str


def rule_out(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "position": rule.position,
        "name": rule.name,
        "is_active": rule.is_active,
        "team": rule.team.code,
        "category": rule.category.code if rule.category_id else None,
        "ticket_type": rule.ticket_type or None,
        "channel": rule.channel or None,
        "customer_level": rule.customer_level.code if rule.customer_level_id else None,
        "priority": rule.priority or None,
        "min_difficulty": rule.min_difficulty,
        "keywords": rule.keywords,
    }
