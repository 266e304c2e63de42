"""The search service: match, rank and highlight tickets for a viewer.

Visibility is never decided here: every result set starts from `Ticket.objects.visible_to(user)`
(or a queryset the caller derived from it), and internal notes are matched only for viewers the
tickets app lets read them (`may_read_internal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.search.backends import backend
from sopdesk.search.highlight import snippet
from sopdesk.search.segment import QueryWord, query_words
from sopdesk.tickets.models import Ticket

MAX_QUERY_LENGTH = 200


class SearchQueryError(ValueError):
    """The query cannot be searched (too long); the message is for the user."""


def may_read_internal(user: User | None) -> bool:
    """Whether internal notes of the tickets `user` sees may match (the timeline's rule: staff only)."""
    return user is not None and user.is_authenticated and user.is_active and not user.is_requester


def parse_query(text: str) -> list[QueryWord]:
    """Return the words of `text`; raise SearchQueryError for a query longer than MAX_QUERY_LENGTH."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(_("The search text is longer than %(max)d characters.") % {"max": MAX_QUERY_LENGTH})
    return query_words(text)


def filter_tickets(tickets: QuerySet[Ticket], text: str, *, viewer: User | None) -> QuerySet[Ticket]:
    """Narrow `tickets` (already the viewer's visible ones) to those matching `text` or numbered `text`.

    A query without any word (only punctuation or operators) matches by number only.
    """
    by_number = Q(number__iexact=text.strip())
    words = parse_query(text)
    if not words:
        return tickets.filter(by_number)
    sql, params = backend().match_sql(words, internal=may_read_internal(viewer))
    return tickets.filter(by_number | Q(pk__in=RawSQL(sql, params)))


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    score: float
    snippet: str  # HTML-safe: escaped text with <mark> around the matched words


def search_tickets(user: User, text: str, *, limit: int = 20) -> list[TicketHit]:
    """Return the best `limit` tickets `user` may read for `text`, best first, with snippets."""
    words = parse_query(text)
    if not words:
        return []
    internal = may_read_internal(user)
    index = backend()
    match, match_params = index.match_sql(words, internal=internal)
    table = Ticket._meta.db_table
    rank, rank_params = index.rank_sql(words, internal=internal, id_column=f'"{table}"."id"')
    tickets = (
        Ticket.objects.visible_to(user)
        .filter(pk__in=RawSQL(match, match_params))
        .annotate(score=RawSQL(rank, rank_params))
        .order_by("-score", "-created_at", "-id")[:limit]
    )
    return [
        TicketHit(ticket=ticket, score=ticket.score, snippet=snippet(f"{ticket.title}\n{ticket.description}", words))
        for ticket in tickets
    ]
