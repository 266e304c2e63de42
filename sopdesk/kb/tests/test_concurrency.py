"""Racing lifecycle steps on one article, from real threads on the real database (parallel writers on PostgreSQL).

Every article action locks the article row and decides on it as it is then: of several approvals
at once exactly one publishes a version, and edits racing an approval never leave a half-published one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sopdesk.accounts.models import User
from sopdesk.core.errors import TransitionRefused
from sopdesk.kb import actions
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.models import Article, ArticleVersion
from sopdesk.kb.tests.conftest import NOW
from sopdesk.testing.concurrency import race

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_of_racing_approvals_exactly_one_publishes(agent: User, kb_admin: User) -> None:
    article = actions.create_article(actor=agent, values={"title": "Racing", "solution": "s"}, now=NOW)
    actions.submit_for_review(article, actor=agent, now=NOW)

    def step(index: int) -> Any:
        row = Article.objects.get(pk=article.pk)
        if index % 2:
            return actions.request_changes(row, actor=kb_admin, comment="again", now=NOW).kind
        return actions.approve_article(row, actor=kb_admin, now=NOW).number

    results = race(6, step)
    outcomes = Counter(type(result).__name__ if isinstance(result, Exception) else "won" for result in results)
    assert outcomes == {"won": 1, TransitionRefused.__name__: 5}, results
    approved = any(isinstance(result, int) for result in results)
    assert ArticleVersion.objects.filter(article=article).count() == (1 if approved else 0)


def test_racing_publications_number_versions_without_gaps(agent: User, kb_admin: User) -> None:
    article = actions.create_article(actor=agent, values={"title": "Racing", "solution": "s"}, now=NOW)

    def publish_once(index: int) -> Any:
        row = Article.objects.get(pk=article.pk)
        actions.update_article(row, actor=agent, changes={"solution": f"solution {index}"}, now=NOW)
        actions.submit_for_review(row, actor=agent, now=NOW)
        return actions.approve_article(row, actor=kb_admin, now=NOW).number

    results = race(4, publish_once)
    numbers = sorted(result for result in results if isinstance(result, int))
    refusals = [result for result in results if not isinstance(result, int)]
    assert all(isinstance(result, TransitionRefused) for result in refusals), results
    assert numbers, results  # the first to get through publishes
    assert numbers == list(range(1, len(numbers) + 1)), results
    assert sorted(ArticleVersion.objects.filter(article=article).values_list("number", flat=True)) == numbers
    article.refresh_from_db()
    if article.status == ArticleStatus.PUBLISHED:
        assert article.live_version is not None
        assert article.live_version.number == numbers[-1]
