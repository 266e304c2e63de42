"""The article-changed hook: how a follower (the search index) learns that an article changed.

Followers register a callable in their `AppConfig.ready()`; the kb actions announce each change
after the transaction commits (`transaction.on_commit`), with the article id and what happened, so
a follower reads committed data and a failing follower never rolls an article change back.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from sopdesk.kb.choices import ArticleChange

ArticleFollower = Callable[[int, ArticleChange], None]

_followers: list[ArticleFollower] = []


def register_article_follower(follower: ArticleFollower) -> None:
    """Call `follower(article_id, change)` after every committed article change (registering twice is a no-op)."""
    if follower not in _followers:
        _followers.append(follower)


def unregister_article_follower(follower: ArticleFollower) -> None:
    if follower in _followers:
        _followers.remove(follower)


def article_changed(article_id: int, change: ArticleChange) -> None:
    """Announce after commit that article `article_id` changed (call inside the action's transaction)."""

    def announce() -> None:
        for follower in list(_followers):
            follower(article_id, change)

    transaction.on_commit(announce)
