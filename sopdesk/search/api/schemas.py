"""Shapes of the search endpoints."""

from __future__ import annotations

from ninja import Field, Schema

from sopdesk.search.service import MAX_QUERY_LENGTH


class TicketSearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=MAX_QUERY_LENGTH, description="Words in Chinese and/or English.")
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
