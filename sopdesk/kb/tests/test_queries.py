"""Who reads which article: drafts and internal articles never reach requesters or anonymous readers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from sopdesk.accounts.models import Organization, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article
from sopdesk.kb.tests.conftest import NOW, publish

pytestmark = pytest.mark.django_db


def _article(author: User, title: str, visibility: str, **extra: object) -> Article:
    return actions.create_article(
        actor=author,
        values={"title": title, "solution": "Do it", "visibility": visibility},
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )


def readable(user: User | AnonymousUser) -> set[str]:
    return set(Article.objects.visible_to(user).values_list("title", flat=True))


@pytest.fixture
def library(agent: User, kb_admin: User, org_a: Organization) -> dict[str, Article]:
    articles = {
        "public draft": _article(agent, "public draft", "public"),
        "public": _article(agent, "public", "public"),
        "internal": _article(agent, "internal", "internal"),
        "org a": _article(agent, "org a", "organizations", organizations=[org_a]),
        "in review": _article(agent, "in review", "public"),
        "outdated": _article(agent, "outdated", "public"),
        "archived": _article(agent, "archived", "public"),
        "revising": _article(agent, "revising", "public"),
    }
    for name in ("public", "internal", "org a", "outdated", "archived", "revising"):
        publish(articles[name], author=agent, approver=kb_admin)
    actions.submit_for_review(articles["in review"], actor=agent, now=NOW)
    actions.mark_outdated(articles["outdated"], actor=kb_admin, now=NOW)
    actions.archive_article(articles["archived"], actor=kb_admin, now=NOW)
    # A published article whose working copy turns internal: readers keep the approved version.
    actions.update_article(articles["revising"], actor=agent, changes={"visibility": "internal"}, now=NOW)
    return articles


def test_staff_read_everything(library: dict[str, Article], agent: User, auditor: User) -> None:
    assert readable(agent) == readable(auditor) == set(library)


def test_anonymous_readers_get_live_public_articles_only(library: dict[str, Article]) -> None:
    assert readable(AnonymousUser()) == {"public", "revising"}


def test_requesters_also_get_their_organisations_articles(
    library: dict[str, Article], requester: User, outsider: User
) -> None:
    assert readable(requester) == {"public", "revising", "org a"}
    assert readable(outsider) == {"public", "revising"}


def test_a_disabled_requester_reads_like_an_anonymous_one(library: dict[str, Article], requester: User) -> None:
    requester.is_active = False
    requester.save()
    assert readable(requester) == {"public", "revising"}


def test_publishing_with_a_narrower_visibility_takes_the_article_from_readers(
    library: dict[str, Article], agent: User, kb_admin: User
) -> None:
    publish(library["revising"], author=agent, approver=kb_admin)
    assert readable(AnonymousUser()) == {"public"}
