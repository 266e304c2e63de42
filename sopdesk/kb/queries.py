"""Read helpers of the knowledge base: single articles with the visibility check built in, the category tree."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from sopdesk.core.errors import NotFound
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.kb.querysets import is_kb_staff

__all__ = ["category_codes_below", "get_article_for_user", "is_kb_staff", "review_due_articles"]


def get_article_for_user(user: Any, article_id: int) -> Article:
    """Return article `article_id` if `user` may read it, else raise NotFound (never 403: no existence oracle)."""
    article: Article | None = (
        Article.objects.visible_to(user)
        .select_related("category", "owner", "source_ticket", "live_version__category")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound(_("No such article."))
    return article


def category_codes_below(code: str) -> list[str]:
    """Return `code` and the codes of all categories under it (the tree is small: one query)."""
    children: dict[int | None, list[tuple[int, str]]] = {}
    start: int | None = None
    for pk, row_code, parent_id in ArticleCategory.objects.values_list("pk", "code", "parent_id"):
        children.setdefault(parent_id, []).append((pk, row_code))
        if row_code == code:
            start = pk
    if start is None:
        return [code]
    codes, stack = [code], [start]
    while stack:
        for pk, row_code in children.get(stack.pop(), []):
            codes.append(row_code)
            stack.append(pk)
    return codes


def review_due_articles(*, today: date) -> QuerySet[Article]:
    """Published articles whose review-due date is today or earlier (oldest due first): the stale queue."""
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, review_due_on__lte=today).order_by(
        "review_due_on", "pk"
    )
