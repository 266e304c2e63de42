"""Articles that may answer a request before it is sent: on the request form and in the acknowledgement mail.

Both ask the search service for articles matching any word of what the requester wrote
(`search_articles(..., match_any=True)`, which starts from `Article.objects.visible_to`), so a
requester is only ever pointed at articles they may read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from sopdesk.core.config_cache import StampedCache
from sopdesk.kb.models import Article
from sopdesk.search.service import ArticleHit, SearchQueryError, query_from, search_articles

FORM_SUGGESTIONS = 5
MAIL_SUGGESTIONS = 3


def suggested_articles(
    user: Any, title: str, description: str = "", *, limit: int = FORM_SUGGESTIONS
) -> list[ArticleHit]:
    """Return up to `limit` published articles `user` may read that match any word of the request, best first."""
    text = query_from(title, description)
    if not text:
        return []
    try:
        return search_articles(user, text, limit=limit, match_any=True)
    except SearchQueryError:
        return []


def _any_published() -> bool:
    return Article.objects.filter(live_version__isnull=False).exists()


# Whether any article is published at all, per configuration stamp: a publication creates an
# ArticleVersion, which the portal app watches (apps.py), so "none" never outlives the first one;
# a stale "some" after every article was withdrawn only costs the search query that finds nothing.
_published = StampedCache(_any_published)


def any_published_articles() -> bool:
    """Whether some article has a live version (no query while the configuration stamp is unchanged)."""
    return _published.get()


def article_url(article: Article) -> str:
    """Return the absolute address of `article` in the help centre."""
    return settings.SOPDESK_BASE_URL.rstrip("/") + reverse("portal:help_article", args=[article.pk])
