"""Fixtures of the article-search tests: after-commit callbacks run, a knowledge-base admin, a category tree."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.testing import factories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]) -> Committed:
    """Run the block's after-commit callbacks (the kb change hook, hence the indexing job) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def kb_admin(service_desk: Team) -> User:
    return factories.make_user("kb-admin", role=Role.KB_ADMIN, teams=[service_desk])


@pytest.fixture
def categories(db: None) -> dict[str, ArticleCategory]:
    made: dict[str, ArticleCategory] = {}
    for code, parent in [("network", None), ("wireless", "network"), ("hardware", None), ("accounts", None)]:
        made[code] = actions.create_category(
            actor=None,
            values={"code": code, "name": code.title(), "parent": made[parent] if parent else None},
            now=NOW,
        )
    return made


def write(author: User, category: ArticleCategory | None, *, title: str, solution: str, **values: Any) -> Article:
    return actions.create_article(
        actor=author,
        values={"title": title, "category": category, "solution": solution, "visibility": "public", **values},
        now=NOW,
    )


def publish(article: Article, *, author: User, approver: User) -> None:
    actions.submit_for_review(article, actor=author, now=NOW)
    actions.approve_article(article, actor=approver, now=NOW)
