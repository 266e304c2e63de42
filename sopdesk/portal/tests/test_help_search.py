"""Searching the help centre and the articles suggested while a request is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sopdesk.accounts.models import User
from sopdesk.portal.tests.conftest import HelpArticles, index_articles
from sopdesk.search.service import query_from

pytestmark = pytest.mark.django_db


def _client(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def indexed(help_articles: HelpArticles) -> HelpArticles:
    index_articles()
    return help_articles


def test_a_chinese_word_finds_the_article_with_a_highlighted_snippet(indexed: HelpArticles) -> None:
    answer = _client().get("/portal/help/search/", {"q": "断开"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'href="/portal/help/articles/{indexed.public.pk}/"' in page
    # The snippet comes from the article's text, the matched words marked.
    snippet = _client().get("/portal/help/search/", {"q": "连接 client"}).content.decode()
    assert "<mark>client</mark>" in snippet


def test_search_finds_only_what_the_reader_may_read(indexed: HelpArticles, requester: User, outsider: User) -> None:
    def found(client: Client, query: str) -> bool:
        return "Org A mail server settings" in client.get("/portal/help/search/", {"q": query}).content.decode()

    assert found(_client(requester), "mail server")
    assert not found(_client(outsider), "mail server")
    assert not found(_client(), "mail server")
    for query in ("Printer admin", "Unfinished printer", "Old Wi-Fi password"):
        page = _client(requester).get("/portal/help/search/", {"q": query}).content.decode()
        assert 'id="search-results"' not in page, query


def test_search_within_a_category_includes_its_subcategories(indexed: HelpArticles, requester: User) -> None:
    inside = _client(requester).get("/portal/help/search/", {"q": "VPN", "category": "network"}).content.decode()
    assert "VPN 断开 every 10 minutes" in inside
    outside = _client(requester).get("/portal/help/search/", {"q": "VPN", "category": "printing"}).content.decode()
    assert "VPN 断开 every 10 minutes" not in outside


def test_search_by_article_type(indexed: HelpArticles, agent: User, kb_admin: User) -> None:
    from sopdesk.portal.tests.conftest import publish_article

    publish_article(
        author=agent, approver=kb_admin, title="VPN setup steps", article_type="how_to", visibility="public"
    )
    index_articles()
    every = _client().get("/portal/help/search/", {"q": "VPN"}).content.decode()
    assert "VPN setup steps" in every
    assert "VPN 断开 every 10 minutes" in every
    assert 'id="type-filter"' in every
    how_to = _client().get("/portal/help/search/", {"q": "VPN", "type": "how_to"}).content.decode()
    assert "VPN setup steps" in how_to
    assert "VPN 断开 every 10 minutes" not in how_to
    assert _client().get("/portal/help/search/", {"q": "VPN", "type": "novel"}).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR(vpn client)",
        "vpn' OR 1=1 --",
        "'); DROP TABLE kb_article; --",
        "<script>alert(1)</script>",
        "\x00",
    ],
)
def test_hostile_queries_answer_results_or_nothing_never_an_error(indexed: HelpArticles, query: str) -> None:
    answer = _client().get("/portal/help/search/", {"q": query})
    assert answer.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in answer.content.decode()


def test_a_query_that_is_too_long_is_refused_with_the_reason(indexed: HelpArticles) -> None:
    answer = _client().get("/portal/help/search/", {"q": "网络 " * 80})
    assert answer.status_code == 400
    assert 'id="search-error"' in answer.content.decode()


def test_suggestions_match_any_word_of_what_is_typed_and_link_as_a_possible_deflection(
    indexed: HelpArticles, requester: User
) -> None:
    page = (
        _client(requester)
        .get("/portal/new/suggestions/", {"title": "我的 VPN 又断开了", "description": "打不开内网"})
        .content.decode()
    )
    assert f'href="/portal/help/articles/{indexed.public.pk}/?from=request-form"' in page
    assert "Then you need not send this request" in page
    # The page posts what is typed (a long description does not fit an address).
    posted = _client(requester).post("/portal/new/suggestions/", {"title": "VPN", "description": "断开 " * 3000})
    assert f"/portal/help/articles/{indexed.public.pk}/?from=request-form" in posted.content.decode()


def test_suggestions_never_offer_what_the_requester_may_not_read(indexed: HelpArticles, outsider: User) -> None:
    page = _client(outsider).get("/portal/new/suggestions/", {"title": "mail server printer admin"}).content.decode()
    assert "Org A mail server" not in page
    assert "Printer admin" not in page
    assert _client(outsider).get("/portal/new/suggestions/", {"title": ""}).content.decode().strip() == ""


def test_suggestions_are_for_signed_in_requesters(indexed: HelpArticles) -> None:
    answer = _client().get("/portal/new/suggestions/", {"title": "VPN"})
    assert answer.status_code == 302
    assert "/login/" in answer["Location"]


def test_hostile_or_long_input_gives_suggestions_or_none(indexed: HelpArticles, requester: User) -> None:
    for title, description in (('"*NEAR(', "-vpn"), ("VPN " * 60, "x" * 5000), ("<img src=x onerror=alert(1)>", "")):
        answer = _client(requester).get("/portal/new/suggestions/", {"title": title, "description": description})
        assert answer.status_code == 200
        assert "onerror=alert" not in answer.content.decode()


def test_the_suggestion_query_is_cut_at_a_word_within_the_search_limit() -> None:
    assert query_from(" VPN  断开 ", "every\n10 minutes") == "VPN 断开 every 10 minutes"
    long = query_from("word " * 100)
    assert len(long) <= 200
    assert long.endswith("word")


def test_search_and_suggestions_read_a_fixed_number_of_queries(
    indexed: HelpArticles, requester: User, agent: User, kb_admin: User, django_assert_max_num_queries: Any
) -> None:
    from sopdesk.portal.tests.conftest import publish_article

    for number in range(8):
        publish_article(author=agent, approver=kb_admin, title=f"VPN tip {number}", visibility="public")
    index_articles()
    client = _client(requester)
    client.get("/portal/help/")  # warm the session
    with django_assert_max_num_queries(5):
        assert client.get("/portal/help/search/", {"q": "VPN"}).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.post("/portal/new/suggestions/", {"title": "VPN 断开"}).status_code == 200
