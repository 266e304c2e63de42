"""Shapes of the search endpoints."""

from __future__ import annotations

from ninja import Field, Schema

from sopdesk.core.api import InputDatetime, PlainStr
from sopdesk.kb.choices import ArticleType
from sopdesk.search.service import MAX_QUERY_LENGTH
from sopdesk.tickets.choices import Status, TicketType


class TicketSearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH, description="Words in Chinese and/or English.")
    status: list[Status] | None = Field(None, description="Repeatable: tickets in any of these statuses.")
    category: PlainStr | None = Field(
        None, min_length=1, max_length=50, description="Category code (its subcategories included)."
    )
    type: list[TicketType] | None = Field(None, description="Repeatable: tickets of any of these types.")
    created_after: InputDatetime | None = Field(None, description="Created at or after this instant.")
    created_before: InputDatetime | None = Field(None, description="Created before this instant.")
    limit: int = Field(20, ge=1, le=50)


class TicketHitOut(Schema):
    number: str
    title: str
    status: str
    priority: str
    score: float = Field(description="Relevance; higher is better (comparable within one answer only).")
    snippet: str = Field(description="HTML: escaped text around the first match, matched words in <mark>.")


class TicketHitList(Schema):
    items: list[TicketHitOut]


class ArticleSearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH, description="Words in Chinese and/or English.")
    category: PlainStr | None = Field(
        None, min_length=1, max_length=50, description="Category code (its subcategories included)."
    )
    type: ArticleType | None = Field(None, description="Article type.")
    limit: int = Field(10, ge=1, le=50)


class ArticleHitOut(Schema):
    id: int
    title: str = Field(description="The published version's title.")
    type: str
    category: str | None = Field(description="Code of the published version's category.")
    score: float = Field(description="Relevance; higher is better (comparable within one answer only).")
    snippet: str = Field(description="HTML: escaped text around the first match, matched words in <mark>.")


class ArticleHitList(Schema):
    items: list[ArticleHitOut]
