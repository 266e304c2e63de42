"""The acknowledgement links up to three help articles matching the request that the requester may read."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopdesk.accounts.models import User
from sopdesk.kb import actions as kb
from sopdesk.notifications.choices import MailEvent
from sopdesk.notifications.models import OutboxMessage
from sopdesk.notifications.templating import VARIABLES
from sopdesk.portal.mailvalues import HelpArticleMailValues
from sopdesk.portal.tests.conftest import PUBLISHED_AT, HelpArticles, index_articles, publish_article
from sopdesk.testing import factories
from sopdesk.tickets.mailvalues import providers
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _acknowledgement(ticket: Ticket) -> str:
    mail = OutboxMessage.objects.get(recipient=ticket.requester, subject__startswith=f"[{ticket.number}]")
    return mail.body


def test_the_portal_registers_the_variable() -> None:
    assert any(isinstance(provider, HelpArticleMailValues) for provider in providers.registered())
    assert "help_articles" in VARIABLES


def test_the_acknowledgement_links_matching_articles_the_requester_may_read(
    help_articles: HelpArticles, requester: User, outsider: User, settings: Any
) -> None:
    settings.SOPDESK_BASE_URL = "https://desk.example.com/"
    index_articles()

    body = _acknowledgement(factories.make_ticket(requester, title="VPN 断开, mail server unreachable"))
    assert "These help articles may already solve it:\n\n" in body
    assert (
        f"VPN 断开 every 10 minutes\nhttps://desk.example.com/portal/help/articles/{help_articles.public.pk}/" in body
    )
    assert (
        f"Org A mail server settings\nhttps://desk.example.com/portal/help/articles/{help_articles.for_org_a.pk}/"
        in body
    )
    other = _acknowledgement(factories.make_ticket(outsider, title="VPN 断开, mail server unreachable"))
    assert "VPN 断开 every 10 minutes" in other
    assert "Org A mail server settings" not in other


def test_at_most_three_articles_are_linked(help_articles: HelpArticles, requester: User, agent: User) -> None:
    admin = factories.make_user("approver", role="kb_admin")
    for number in range(5):
        publish_article(author=agent, approver=admin, title=f"VPN tip {number}", visibility="public")
    index_articles()
    body = _acknowledgement(factories.make_ticket(requester, title="VPN"))
    assert body.count("/portal/help/articles/") == 3


def test_without_a_matching_article_the_part_is_left_out(help_articles: HelpArticles, requester: User) -> None:
    index_articles()
    body = _acknowledgement(factories.make_ticket(requester, title="Keyboard sticky keys", description="键盘失灵"))
    assert "help articles" not in body
    assert "/portal/help/" not in body


def test_other_mails_get_no_articles(help_articles: HelpArticles, requester: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN")
    assert HelpArticleMailValues().mail_values(ticket, mail_event=MailEvent.PUBLIC_REPLY) == {}


def test_no_published_article_costs_the_creation_no_query(requester: User, service_desk: Any, agent: User) -> None:
    kb.create_article(
        actor=agent, values={"title": "VPN draft", "solution": "x", "visibility": "public"}, now=PUBLISHED_AT
    )
    factories.make_ticket(requester, title="VPN drops")  # fills the cached configuration and the flag
    ticket = factories.make_ticket(requester, title="VPN drops")

    with CaptureQueriesContext(connection) as context:
        values = HelpArticleMailValues().mail_values(ticket, mail_event=MailEvent.ACKNOWLEDGEMENT)
    assert values == {"help_articles": ""}
    # Outside the creation's `consistent()` block the configuration stamp is read; nothing else.
    assert [query["sql"] for query in context.captured_queries if '"core_configstamp"' not in query["sql"]] == []


def test_the_first_publication_renews_the_flag(requester: User, agent: User, service_desk: Any) -> None:
    factories.make_ticket(requester, title="VPN drops")  # caches "nothing published"
    admin = factories.make_user("approver", role="kb_admin")
    article = publish_article(author=agent, approver=admin, title="VPN drops daily", visibility="public")
    index_articles()
    body = _acknowledgement(factories.make_ticket(requester, title="VPN drops"))
    assert f"/portal/help/articles/{article.pk}/" in body


def test_with_published_articles_the_links_cost_the_creation_two_queries(
    help_articles: HelpArticles, requester: User
) -> None:
    from sopdesk.core import config_cache

    index_articles()
    ticket = factories.make_ticket(requester, title="VPN 断开")  # warms the cached configuration and the flag
    # As inside the creation, where the stamp is read once already (on entering `consistent()`).
    with config_cache.consistent(), CaptureQueriesContext(connection) as context:
        values = HelpArticleMailValues().mail_values(ticket, mail_event=MailEvent.ACKNOWLEDGEMENT)
    assert "VPN 断开 every 10 minutes" in str(values["help_articles"])
    # The index ranks the candidates in one pass; the readable ones are loaded in that order.
    assert len(context.captured_queries) == 2, [query["sql"][:80] for query in context.captured_queries]
