"""Help-centre fixtures: categories and articles in every state, written through the knowledge-base actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.search.indexing import reindex_articles
from sopdesk.testing import factories

PUBLISHED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def publish_article(
    *, author: User, approver: User, organizations: tuple[Organization, ...] = (), **values: Any
) -> Article:
    """Write an article and publish it through the review actions."""
    values.setdefault("solution", "Restart the device.")
    article = actions.create_article(actor=author, values=values, organizations=organizations, now=PUBLISHED_AT)
    actions.submit_for_review(article, actor=author, now=PUBLISHED_AT)
    actions.approve_article(article, actor=approver, now=PUBLISHED_AT)
    article.refresh_from_db()
    return article


@dataclass
class HelpArticles:
    network: ArticleCategory
    wifi: ArticleCategory
    printing: ArticleCategory
    public: Article  # public, category wifi (under network)
    for_org_a: Article  # customers of org A, category network
    internal: Article  # published but internal, category printing
    draft: Article  # never published, public
    outdated: Article  # published once, then withdrawn


@pytest.fixture
def kb_admin(service_desk: Team) -> User:
    return factories.make_user("kb-admin", role=Role.KB_ADMIN, teams=[service_desk])


@pytest.fixture
def help_articles(agent: User, kb_admin: User, org_a: Organization) -> HelpArticles:
    def category(code: str, name: str, parent: ArticleCategory | None = None) -> ArticleCategory:
        return actions.create_category(
            actor=None, values={"code": code, "name": name, "parent": parent}, now=PUBLISHED_AT
        )

    network = category("network", "网络 Network")
    wifi = category("wifi", "无线 Wi-Fi", network)
    printing = category("printing", "打印 Printing")
    public = publish_article(
        author=agent,
        approver=kb_admin,
        title="VPN 断开 every 10 minutes",
        category=wifi,
        problem="The VPN client drops the connection. VPN 客户端连接断开。",
        diagnosis="Check the client log.\nPing the gateway.",
        solution="Update the **VPN client** to 5.2.",
        notes="Only on Windows.",
        applies_to="VPN client 5.x",
        visibility="public",
    )
    for_org_a = publish_article(
        author=agent,
        approver=kb_admin,
        organizations=(org_a,),
        title="Org A mail server settings",
        category=network,
        solution="Use mail.org-a.example.",
        visibility="organizations",
    )
    internal = publish_article(
        author=agent,
        approver=kb_admin,
        title="Printer admin password reset",
        category=printing,
        solution="Internal steps.",
        visibility="internal",
    )
    draft = actions.create_article(
        actor=agent,
        values={"title": "Unfinished printer draft", "category": printing, "solution": "x", "visibility": "public"},
        now=PUBLISHED_AT,
    )
    outdated = publish_article(
        author=agent, approver=kb_admin, title="Old Wi-Fi password rules", category=wifi, visibility="public"
    )
    actions.mark_outdated(outdated, actor=kb_admin, now=PUBLISHED_AT)
    return HelpArticles(network, wifi, printing, public, for_org_a, internal, draft, outdated)


def index_articles() -> None:
    """Bring the search index up to date with the articles written so far (their after-commit job did not run)."""
    reindex_articles()
