"""The search service: match, rank and highlight tickets and knowledge-base articles for a viewer.

Visibility is never decided here: every ticket result set starts from `Ticket.objects.visible_to(user)`
(or a queryset the caller derived from it), and internal notes are matched only for viewers the
tickets app lets read them (`may_read_internal`); every article result set starts from
`Article.objects.visible_to(user)`, narrowed to published articles (the index holds live versions only).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from sopdesk.accounts.models import User
from sopdesk.core.validation import ValidationFailed
from sopdesk.kb.models import Article
from sopdesk.kb.queries import category_codes_below
from sopdesk.kb.rendering import render_article_text
from sopdesk.search.backends import backend
from sopdesk.search.highlight import snippet
from sopdesk.search.segment import QueryWord, query_words
from sopdesk.tickets.filters import TicketFilterSet
from sopdesk.tickets.models import Category, Ticket
from sopdesk.tickets.querysets import ticket_visibility_keys

MAX_QUERY_LENGTH = 200
# Ranking is bounded so that a search costs the same at 100,000 tickets as at 10,000,000: the index
# ranks the best RANKED_CANDIDATES matches among the newest RANKED_WINDOW tickets in one pass (a
# common word matches tens of thousands of tickets; ranking them all, or asking the index once per
# ticket, took seconds). Matches the viewer may not see are dropped from those; when fewer than a
# page remain (a requester, a narrow filter, an old ticket), the viewer's other matches follow,
# newest first. docs/search.md.
RANKED_CANDIDATES = 1_000
RANKED_WINDOW = 200_000
# The ticket list's "best match" order places the best LIST_RANKED matches first, in rank order.
LIST_RANKED = 200
# Articles are few (thousands): the index ranks the best ARTICLE_CANDIDATES, the viewer's readable
# ones among them are loaded in that order in one query.
ARTICLE_CANDIDATES = 200
# When the best matches hold too few of the viewer's tickets, the index offers the newest
# OTHER_CANDIDATES matches among the viewer's tickets (`_other_matches`).
OTHER_CANDIDATES = 500


class SearchQueryError(ValueError):
    """The query cannot be searched (too long); the message is for the user."""


def may_read_internal(user: User | None) -> bool:
    """Whether internal notes of the tickets `user` sees may match (the timeline's rule: staff only)."""
    return user is not None and user.is_authenticated and user.is_active and not user.is_requester


def query_from(title: str, description: str = "") -> str:
    """Return the search text for a ticket or request: its title, then its description, with runs of
    white space made one, cut between words to MAX_QUERY_LENGTH (suggestions and similar tickets)."""
    text = " ".join(f"{title} {description}".split())
    if len(text) <= MAX_QUERY_LENGTH:
        return text
    cut = text[: MAX_QUERY_LENGTH + 1]
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else text[:MAX_QUERY_LENGTH]


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


def _ranked_tickets(
    words: list[QueryWord], *, internal: bool, match_any: bool, limit: int, keys: Sequence[str] | None = None
) -> tuple[list[tuple[int, float]], bool]:
    """Return the best `limit` matches among the newest RANKED_WINDOW tickets as (id, score), best first,
    and whether those are every match in the index (the window holds every ticket, the limit not reached).
    `keys` (`ticket_visibility_keys`): where the index stores them, only tickets with one of them are ranked."""
    newest = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    floor = newest - RANKED_WINDOW
    ranked = backend().ranked_ticket_ids(
        words, internal=internal, match_any=match_any, newer_than=floor if floor > 0 else None, keys=keys, limit=limit
    )
    return ranked, floor <= 0 and len(ranked) < limit


def rank_tickets(tickets: QuerySet[Ticket], text: str, *, viewer: User | None) -> QuerySet[Ticket]:
    """Order `tickets` (already narrowed by `filter_tickets`) best match first: the exact number, then
    the best LIST_RANKED matches in rank order (the ranking of `search_tickets`), then newest. The
    ticket list's `ordering=relevance`."""
    words = parse_query(text)
    position: Any = Value(0)
    if words:
        best, _every = _ranked_tickets(words, internal=may_read_internal(viewer), match_any=False, limit=LIST_RANKED)
        ranked = [pk for pk, _score in best]
        if ranked:
            # The inner CASE runs only for the ranked rows; every other row costs one IN test.
            in_rank_order = Case(
                *[When(pk=pk, then=Value(index)) for index, pk in enumerate(ranked)], output_field=IntegerField()
            )
            position = Case(
                When(pk__in=ranked, then=in_rank_order), default=Value(len(ranked)), output_field=IntegerField()
            )
    exact = Case(When(number__iexact=text.strip(), then=Value(1)), default=Value(0), output_field=IntegerField())
    return tickets.annotate(search_exact=exact, search_rank=position).order_by(
        "-search_exact", "search_rank", "-created_at", "-id"
    )


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    score: float
    snippet: str  # HTML-safe: escaped text with <mark> around the matched words


def ticket_search_scope(
    user: User,
    *,
    statuses: Sequence[str] = (),
    category: str | None = None,
    ticket_types: Sequence[str] = (),
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Ticket]:
    """Return the tickets `user` may see narrowed by the ticket list's own filters (`TicketFilterSet`).

    `category` includes its subcategories (the list's rule); the created range is [after, before).
    Raise ValidationFailed, naming the field, for an unknown category, status or type, or an empty range.
    """
    errors: dict[str, list[str]] = {}
    if category is not None and not Category.objects.filter(code=category).exists():
        errors["category"] = [_("Unknown category.")]
    if created_after is not None and created_before is not None and created_after >= created_before:
        errors["created_before"] = [_("The end of the range must be after its start.")]
    if errors:
        raise ValidationFailed(errors)
    data = QueryDict(mutable=True)
    data.setlist("status", list(statuses))
    data.setlist("ticket_type", list(ticket_types))
    for name, value in (("category", category), ("created_after", created_after), ("created_before", created_before)):
        if value is not None:
            data[name] = value.isoformat() if isinstance(value, datetime) else value
    filterset = TicketFilterSet(data=data, queryset=Ticket.objects.visible_to(user), viewer=user)
    if not filterset.is_valid():
        names = {"ticket_type": "type"}
        raise ValidationFailed(
            {names.get(field, field): [str(m) for m in messages] for field, messages in filterset.errors.items()}
        )
    scope: QuerySet[Ticket] = filterset.qs
    return scope


def _visible_in_rank_order(scope: QuerySet[Ticket], ranked: Sequence[int], limit: int) -> list[int]:
    """Return the first `limit` of `ranked` that are in `scope`, in rank order.

    Checked a few pages at a time: where the index already narrowed the candidates to the viewer's
    tickets (PostgreSQL) the first check nearly always suffices, instead of 1,000 ids every time.
    """
    chosen: list[int] = []
    step = max(limit * 3, 60)
    for start in range(0, len(ranked), step):
        part = ranked[start : start + step]
        visible = set(scope.filter(pk__in=part).values_list("pk", flat=True))
        chosen += [pk for pk in part if pk in visible]
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def _other_matches(
    scope: QuerySet[Ticket],
    words: list[QueryWord],
    keys: Sequence[str] | None,
    *,
    internal: bool,
    match_any: bool,
    ranked: Sequence[int],
    wanted: int,
) -> list[int]:
    """Return up to `wanted` of the viewer's matches outside `ranked`, newest first.

    `keys`: the viewer's `ticket_visibility_keys`. Where the index stores them (PostgreSQL), it
    finds the newest matches among the viewer's tickets itself, and `scope` (the one visibility
    rule, plus any filters) confirms them.
    Only when those OTHER_CANDIDATES are not enough does the database join every match with the
    viewer's tickets: an agent whose words match only other teams' tickets otherwise waited for a
    walk over every ticket they may see.
    """
    ids = backend().visible_match_ids(
        words,
        internal=internal,
        match_any=match_any,
        keys=keys,
        exclude=ranked,
        limit=OTHER_CANDIDATES,
    )
    others = scope.exclude(pk__in=ranked)
    if ids is not None:
        found = list(others.filter(pk__in=ids).order_by("-pk").values_list("pk", flat=True)[:wanted])
        if len(found) == wanted or len(ids) < OTHER_CANDIDATES:
            return found
        # Every candidate was newer than what is left, so the order holds.
        others, wanted = others.filter(pk__lt=min(ids)), wanted - len(found)
    else:
        found = []
    match, match_params = backend().match_sql(words, internal=internal, match_any=match_any)
    rest = others.filter(pk__in=RawSQL(match, match_params)).order_by("-pk").values_list("pk", flat=True)
    return found + list(rest[:wanted])


def search_tickets(
    user: User,
    text: str,
    *,
    limit: int = 20,
    match_any: bool = False,
    within: QuerySet[Ticket] | None = None,
) -> list[TicketHit]:
    """Return the best `limit` tickets `user` may read for `text`, best first, with snippets.

    Every word must match, unless `match_any` (suggestions): then any word does, more words rank higher.
    `within`: a queryset derived from `Ticket.objects.visible_to(user)` (`ticket_search_scope`) to search in.
    """
    words = parse_query(text)
    if not words:
        return []
    internal = may_read_internal(user)
    scope = Ticket.objects.visible_to(user) if within is None else within
    keys = ticket_visibility_keys(user)
    best, saw_every_match = _ranked_tickets(
        words, internal=internal, match_any=match_any, limit=RANKED_CANDIDATES, keys=keys
    )
    scores = dict(best)
    ranked = [pk for pk, _score in best]
    chosen = _visible_in_rank_order(scope, ranked, limit)
    if len(chosen) < limit and not saw_every_match:
        # The viewer sees few of the best matches: their other matches follow, newest first.
        chosen += _other_matches(
            scope, words, keys, internal=internal, match_any=match_any, ranked=ranked, wanted=limit - len(chosen)
        )
    tickets = Ticket.objects.in_bulk(chosen)
    return [
        TicketHit(
            ticket=tickets[pk],
            score=scores.get(pk, 0.0),
            snippet=snippet(f"{tickets[pk].title}\n{tickets[pk].description}", words),
        )
        for pk in chosen
        if pk in tickets
    ]


@dataclass(frozen=True)
class ArticleHit:
    article: Article  # with live_version (and its category) loaded
    score: float
    snippet: str  # HTML-safe: the live version's text, escaped, with <mark> around the matched words


def article_plain_text(text: str) -> str:
    """Return an article field (Markdown) as the plain text a reader sees, for snippets."""
    return html.unescape(strip_tags(render_article_text(text)))


def _article_snippet(article: Article, words: list[QueryWord]) -> str:
    live = article.live_version
    assert live is not None  # noqa: S101 - the query keeps published articles only
    fields = [live.problem, live.diagnosis, live.solution, live.notes, live.applies_to]
    return snippet("\n".join(article_plain_text(field) for field in fields if field), words)


def search_articles(
    user: Any,
    text: str,
    *,
    limit: int = 10,
    category: str | None = None,
    article_type: str | None = None,
    match_any: bool = False,
) -> list[ArticleHit]:
    """Return the best `limit` published articles `user` (maybe anonymous) may read for `text`, best first.

    Only the live version is searched and shown. `category` is a kb category code (its subcategories
    included), `article_type` an ArticleType value. Every word must match, unless `match_any`
    (suggestions): then any word does, and articles with more of them rank higher.
    """
    words = parse_query(text)
    if not words:
        return []
    ranked = backend().ranked_article_ids(words, match_any=match_any, limit=ARTICLE_CANDIDATES)
    if not ranked:
        return []
    scores = dict(ranked)
    articles = Article.objects.visible_to(user).filter(live_version__isnull=False, pk__in=list(scores))
    if category is not None:
        articles = articles.filter(live_version__category__code__in=category_codes_below(category))
    if article_type is not None:
        articles = articles.filter(live_version__article_type=article_type)
    # In the index's order: the CASE runs only for the few candidate rows.
    position = Case(
        *[When(pk=pk, then=Value(index)) for index, (pk, _s) in enumerate(ranked)], output_field=IntegerField()
    )
    found = [
        (article, scores[article.pk])
        for article in articles.select_related("live_version__category").order_by(position)[:limit]
    ]
    return [
        ArticleHit(article=article, score=score, snippet=_article_snippet(article, words)) for article, score in found
    ]
