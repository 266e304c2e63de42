from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.testing import factories

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def kb_admin(service_desk: Team) -> User:
    return factories.make_user("kb-admin", role=Role.KB_ADMIN, teams=[service_desk])


@pytest.fixture
def network(db: None) -> ArticleCategory:
    return actions.create_category(actor=None, values={"code": "network", "name": "网络 Network"}, now=NOW)


@pytest.fixture
def draft(agent: User, network: ArticleCategory) -> Article:
    return actions.create_article(
        actor=agent,
        values={
            "title": "VPN 断开 every 10 minutes",
            "category": network,
            "problem": "The VPN client drops the connection.",
            "diagnosis": "Check the client log.\nPing the gateway.",
            "solution": "Update the VPN client to 5.2.",
            "visibility": "public",
            "tags": ["vpn", "VPN", " network "],
        },
        now=NOW,
    )


def publish(article: Article, *, author: User, approver: User) -> None:
    actions.submit_for_review(article, actor=author, now=NOW)
    actions.approve_article(article, actor=approver, now=NOW)
