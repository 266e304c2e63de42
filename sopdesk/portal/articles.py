"""Read helpers of the portal's help centre: published articles a reader may see, by category.

Who reads what is `Article.objects.visible_to(user)` alone; these helpers only narrow it to
articles with a live version and read the live version's fields (title, category, text), never
the working copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from sopdesk.core.errors import NotFound
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.kb.queries import category_codes_below, get_article_for_user

MOST_VIEWED = 5
RELATED = 5
CATEGORY_PAGE_LIMIT = 100


def readable_articles(user: Any) -> QuerySet[Article]:
    """Published articles `user` (an AnonymousUser too) may read, with their live version loaded."""
    return (
        Article.objects.visible_to(user)
        .filter(live_version__isnull=False)
        .select_related("live_version", "live_version__category")
    )


def get_readable_article(user: Any, article_id: int) -> Article:
    """Return published article `article_id` if `user` may read it, else raise NotFound."""
    article = get_article_for_user(user, article_id)
    if article.live_version_id is None:  # staff may see drafts; the help centre shows published text only
        raise NotFound(_("No such article."))
    return article


@dataclass
class CategoryNode:
    """A category of the help centre with the readable articles in it and under it."""

    category: ArticleCategory
    article_count: int
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(user: Any) -> list[CategoryNode]:
    """Return the active categories holding readable articles (counted with their subcategories'), as a tree."""
    direct = dict(
        readable_articles(user)
        .filter(live_version__category__isnull=False)
        .order_by()
        .values("live_version__category")
        .annotate(count=Count("pk"))
        .values_list("live_version__category", "count")
    )
    categories = list(ArticleCategory.objects.filter(is_active=True))
    active = {category.pk for category in categories}
    children: dict[int | None, list[ArticleCategory]] = {}
    for category in categories:
        # A category under an inactive parent is shown at the top rather than hidden with its articles.
        parent = category.parent_id if category.parent_id in active else None
        children.setdefault(parent, []).append(category)

    def build(parent: int | None) -> list[CategoryNode]:
        nodes = []
        for category in children.get(parent, []):
            below = build(category.pk)
            count = direct.get(category.pk, 0) + sum(node.article_count for node in below)
            if count:
                nodes.append(CategoryNode(category=category, article_count=count, children=below))
        return nodes

    return build(None)


def most_viewed(user: Any, *, limit: int = MOST_VIEWED) -> list[Article]:
    """Return the readable articles read most often."""
    return list(readable_articles(user).order_by("-view_count", "-pk")[:limit])


def active_category(code: str) -> ArticleCategory | None:
    """Return the active category `code`, or None."""
    return ArticleCategory.objects.filter(code=code, is_active=True).select_related("parent").first()


def articles_in_category(user: Any, category: ArticleCategory, *, limit: int = CATEGORY_PAGE_LIMIT) -> list[Article]:
    """Return the readable articles of `category` and its subcategories (by the live version's category), A–Z."""
    codes = category_codes_below(category.code)
    return list(readable_articles(user).filter(live_version__category__code__in=codes).order_by("title", "pk")[:limit])


def related_articles(user: Any, article: Article, *, limit: int = RELATED) -> list[Article]:
    """Return other readable articles of the same category (the live version's), most read first."""
    version = article.live_version
    if version is None or version.category_id is None:
        return []
    return list(
        readable_articles(user)
        .filter(live_version__category=version.category_id)
        .exclude(pk=article.pk)
        .order_by("-view_count", "-pk")[:limit]
    )


def breadcrumbs(category: ArticleCategory) -> list[ArticleCategory]:
    """Return the categories from the top down to `category` (the tree is small and has no cycles)."""
    by_pk = {row.pk: row for row in ArticleCategory.objects.all()}
    chain = [category]
    parent_id = category.parent_id
    while parent_id is not None and parent_id in by_pk and len(chain) < len(by_pk):
        chain.append(by_pk[parent_id])
        parent_id = by_pk[parent_id].parent_id
    return list(reversed(chain))
