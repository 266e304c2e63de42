"""The knowledge panel of the ticket page: suggested articles, the articles linked as "solved with".

Suggestions come from the search service (published articles the viewer may read); links and
drafts go through `sopdesk.kb.actions`. Nothing here decides who sees what.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from sopdesk.accounts.models import User
from sopdesk.kb.actions import may_seed_article, may_write_articles
from sopdesk.kb.models import Article, ArticleTicketLink
from sopdesk.search.service import query_from, search_articles
from sopdesk.tickets.models import Ticket

SUGGESTED = 5


def article_page(article_id: int) -> str:
    """Return the address of the workspace's page of article `article_id` (the KB editor's page)."""
    return reverse("workspace:kb_article", args=[article_id])


def solution_text(article: Article) -> str:
    """Return the live version's solution as the plain text an agent inserts into a reply ('' if unpublished)."""
    version = article.live_version
    return version.solution.strip() if version is not None else ""


@dataclass(frozen=True)
class PanelArticle:
    """One article as the panel shows it: the live version's words where there is one."""

    article: Article
    title: str
    type_label: str
    url: str
    solution: str  # plain text for the composer; '' when nothing is published
    snippet: str = ""  # HTML-safe (escaped, <mark> around matches) from the search service
    is_linked: bool = False


def _shown(article: Article, *, snippet: str = "", is_linked: bool = False) -> PanelArticle:
    content = article.live_version or article
    return PanelArticle(
        article=article,
        title=content.title,
        type_label=str(content.get_article_type_display()),
        url=article_page(article.pk),
        solution=solution_text(article),
        snippet=snippet,
        is_linked=is_linked,
    )


def linked_articles(user: User, ticket: Ticket) -> list[PanelArticle]:
    """Return the articles `user` may read that are linked to `ticket` as "solved with", newest link first."""
    links = (
        ArticleTicketLink.objects.filter(ticket=ticket, article__in=Article.objects.visible_to(user))
        .select_related("article__live_version")
        .order_by("-linked_at", "-pk")
    )
    return [_shown(link.article) for link in links]


def suggested_articles(user: User, ticket: Ticket, *, linked_ids: set[int]) -> list[PanelArticle]:
    """Return the published articles `user` may read that best match `ticket`'s title and description."""
    hits = search_articles(user, query_from(ticket.title, ticket.description), match_any=True, limit=SUGGESTED)
    return [_shown(hit.article, snippet=hit.snippet, is_linked=hit.article.pk in linked_ids) for hit in hits]


def panel_context(user: User, ticket: Ticket) -> dict[str, object]:
    """What `_knowledge.html` shows for `ticket` to `user` (who may see the ticket)."""
    linked = linked_articles(user, ticket)
    may_write = may_write_articles(user)
    return {
        "ticket": ticket,
        "suggestions": suggested_articles(user, ticket, linked_ids={item.article.pk for item in linked}),
        "linked": linked,
        "may_link": may_write,
        "may_draft": may_write and may_seed_article(ticket),
    }
