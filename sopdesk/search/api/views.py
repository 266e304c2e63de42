"""Search endpoints: ranked tickets with highlighted snippets, as the caller may see them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.search.api.schemas import TicketHitList, TicketSearchParams
from sopdesk.search.service import search_tickets

router = Router(tags=["search"])

ERRORS = error_responses(400, 401, 403, 422)


@router.get("/tickets", response={200: TicketHitList, **ERRORS})
def search_ticket_list(request: HttpRequest, params: Query[TicketSearchParams]) -> dict[str, Any]:
    """The best matching tickets the caller may read, best first (title, description, replies; staff: notes)."""
    check_query_parameters(request, TicketSearchParams)
    hits = search_tickets(request_user(request), params.q, limit=params.limit)
    return {
        "items": [
            {
                "number": hit.ticket.number,
                "title": hit.ticket.title,
                "status": hit.ticket.status,
                "priority": hit.ticket.priority,
                "score": hit.score,
                "snippet": hit.snippet,
            }
            for hit in hits
        ]
    }
