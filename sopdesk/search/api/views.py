"""Search endpoints: ranked tickets and articles with highlighted snippets, as the caller may see them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from sopdesk.core.api import check_query_parameters, error_responses, request_user
from sopdesk.core.validation import ValidationFailed
from sopdesk.kb.models import ArticleCategory
from sopdesk.search.api.schemas import ArticleHitList, ArticleSearchParams, TicketHitList, TicketSearchParams
from sopdesk.search.service import search_articles, search_tickets, ticket_search_scope

router = Router(tags=["search"])

ERRORS = error_responses(400, 401, 403, 422)


@router.get("/tickets", response={200: TicketHitList, **ERRORS})
def search_ticket_list(request: HttpRequest, params: Query[TicketSearchParams]) -> dict[str, Any]:
    """The best matching tickets the caller may read, best first (title, description, replies; staff: notes)."""
    check_query_parameters(request, TicketSearchParams)
    user = request_user(request)
    scope = ticket_search_scope(
        user,
        statuses=params.status or (),
        category=params.category,
        ticket_types=params.type or (),
        created_after=params.created_after,
        created_before=params.created_before,
    )
    hits = search_tickets(user, params.q, limit=params.limit, within=scope)
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


@router.get("/articles", response={200: ArticleHitList, **ERRORS})
def search_article_list(request: HttpRequest, params: Query[ArticleSearchParams]) -> dict[str, Any]:
    """The best matching published knowledge-base articles the caller may read, best first (live version only)."""
    check_query_parameters(request, ArticleSearchParams)
    if params.category is not None and not ArticleCategory.objects.filter(code=params.category).exists():
        raise ValidationFailed({"category": [_("Unknown category.")]})
    hits = search_articles(
        request_user(request),
        params.q,
        limit=params.limit,
        category=params.category,
        article_type=params.type,
    )
    items = []
    for hit in hits:
        live = hit.article.live_version
        assert live is not None  # noqa: S101 - search_articles returns published articles only
        items.append(
            {
                "id": hit.article.pk,
                "title": live.title,
                "type": live.article_type,
                "category": live.category.code if live.category is not None else None,
                "score": hit.score,
                "snippet": hit.snippet,
            }
        )
    return {"items": items}
