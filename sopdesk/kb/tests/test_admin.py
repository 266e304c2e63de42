"""The knowledge-base admin: saves and lifecycle steps go through the actions."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import User
from sopdesk.audit.models import ConfigChange
from sopdesk.kb.choices import ArticleStatus
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db: None) -> User:
    user = factories.make_user("root", role=Role.ADMIN)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def admin_client(root: User) -> Client:
    client = Client()
    client.force_login(root)
    return client


def _article_form(owner: User, **changes: object) -> dict[str, object]:
    return {
        "title": "邮箱 full",
        "article_type": "how_to",
        "problem": "The mailbox is full",
        "diagnosis": "",
        "solution": "Archive old mail",
        "notes": "",
        "applies_to": "",
        "visibility": "public",
        "tags": '["mail"]',
        "owner": owner.pk,
        "review_due_on": "",
        "category": "",
        "organizations": [],
        "reviews-TOTAL_FORMS": 0,
        "reviews-INITIAL_FORMS": 0,
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
        **changes,
    }


def test_categories_are_saved_through_the_actions(admin_client: Client) -> None:
    added = admin_client.post(
        "/admin/kb/articlecategory/add/", {"code": "mail", "name": "Mail", "sort_order": 5, "is_active": "on"}
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    category = ArticleCategory.objects.get(code="mail")
    changed = admin_client.post(
        f"/admin/kb/articlecategory/{category.pk}/change/", {"name": "邮箱", "sort_order": 5, "is_active": "on"}
    )
    assert changed.status_code == 302
    assert ConfigChange.objects.filter(object_type="kb.articlecategory").count() == 2
    looped = admin_client.post(
        f"/admin/kb/articlecategory/{category.pk}/change/",
        {"name": "邮箱", "sort_order": 5, "is_active": "on", "parent": category.pk},
    )
    assert looped.status_code == 200  # refused, shown again with the error
    assert "A category cannot be inside itself." in looped.content.decode()


def test_an_article_is_written_and_published_through_the_actions(admin_client: Client, root: User) -> None:
    added = admin_client.post("/admin/kb/article/add/", _article_form(root))
    assert added.status_code == 302, added.content.decode()[:3000]
    article = Article.objects.get()
    assert (article.status, article.tags) == (ArticleStatus.DRAFT, ["mail"])

    for action in ("submit_for_review", "approve_article"):
        answer = admin_client.post(
            "/admin/kb/article/", {"action": action, "_selected_action": [article.pk]}, follow=True
        )
        assert answer.status_code == 200
    article.refresh_from_db()
    assert (article.status, article.live_version.number) == (ArticleStatus.PUBLISHED, 1)  # type: ignore[union-attr]

    refused = admin_client.post(
        "/admin/kb/article/", {"action": "approve_article", "_selected_action": [article.pk]}, follow=True
    )
    assert "Only an article in review can be approved." in refused.content.decode()
    assert admin_client.get(f"/admin/kb/article/{article.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/kb/articleversion/{article.live_version_id}/change/").status_code == 200
