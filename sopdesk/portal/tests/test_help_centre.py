"""The help centre: who reads which article, the article page, feedback, and bad addresses."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sopdesk.accounts.models import User
from sopdesk.kb.models import Article, ArticleFeedback
from sopdesk.portal.tests.conftest import HelpArticles, publish_article

pytestmark = pytest.mark.django_db


def _client(user: User | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _article_url(article: Article) -> str:
    return f"/portal/help/articles/{article.pk}/"


def test_visitors_browse_public_articles_only(help_articles: HelpArticles) -> None:
    page = _client().get("/portal/help/").content.decode()
    assert "VPN 断开 every 10 minutes" in page
    assert "网络 Network" in page
    assert "无线 Wi-Fi" in page
    for hidden in (
        "Org A mail server",
        "Printer admin",
        "Unfinished printer draft",
        "Old Wi-Fi password",
        "打印 Printing",
    ):
        assert hidden not in page
    assert "My requests" not in page  # a visitor is offered the login instead
    assert "Log in" in page


def test_requesters_see_their_organisations_articles_and_others_do_not(
    help_articles: HelpArticles, requester: User, outsider: User
) -> None:
    mine = _client(requester).get("/portal/help/").content.decode()
    assert "Org A mail server settings" in mine
    # Network counts its own article and the Wi-Fi subcategory's.
    assert re.search(r'categories/network/">网络 Network</a>\s*<span[^>]*>2</span>', mine)
    other = _client(outsider).get("/portal/help/").content.decode()
    assert "Org A mail server settings" not in other
    assert _client(outsider).get(_article_url(help_articles.for_org_a)).status_code == 404
    assert _client(requester).get(_article_url(help_articles.for_org_a)).status_code == 200


@pytest.mark.parametrize("name", ["for_org_a", "internal", "draft", "outdated"])
def test_articles_a_visitor_may_not_read_are_not_found(help_articles: HelpArticles, name: str) -> None:
    assert _client().get(_article_url(getattr(help_articles, name))).status_code == 404


@pytest.mark.parametrize("name", ["internal", "draft", "outdated"])
def test_requesters_never_get_internal_draft_or_outdated_articles(
    help_articles: HelpArticles, requester: User, name: str
) -> None:
    client = _client(requester)
    assert client.get(_article_url(getattr(help_articles, name))).status_code == 404
    assert client.post(f"{_article_url(getattr(help_articles, name))}feedback/", {"helpful": "yes"}).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/portal/help/articles/999999/",
        "/portal/help/articles/99999999999999999999999/",
        "/portal/help/articles/abc/",
        "/portal/help/categories/no-such-category/",
        "/portal/help/categories/printing/",  # exists, but nothing in it is readable
    ],
)
def test_bad_addresses_are_not_found(help_articles: HelpArticles, path: str) -> None:
    assert _client().get(path).status_code == 404
    assert _client().post("/portal/help/articles/999999/feedback/", {"helpful": "yes"}).status_code == 404


def test_the_article_page_shows_the_live_version_in_its_parts_and_counts_the_view(
    help_articles: HelpArticles, requester: User, agent: User
) -> None:
    from sopdesk.kb import actions

    # A new working copy must not reach readers before it is approved.
    actions.update_article(
        help_articles.public,
        actor=agent,
        changes={"solution": "Unapproved new text"},
        now=help_articles.public.created_at,
    )
    page = _client(requester).get(_article_url(help_articles.public)).content.decode()
    for part in ("Problem", "Diagnosis steps", "Solution", "Notes", "Applies to", "FAQ"):
        assert f">{part}<" in page
    assert "<strong>VPN client</strong>" in page
    assert "VPN client 5.x" in page
    assert "2026-03-02" in page
    assert "无线 Wi-Fi" in page
    assert "Unapproved new text" not in page
    assert "Was this helpful?" in page
    assert "Old Wi-Fi password rules" not in page  # outdated: not among the related articles
    help_articles.public.refresh_from_db()
    assert help_articles.public.view_count == 1


def test_related_articles_are_readable_ones_of_the_same_category(
    help_articles: HelpArticles, requester: User, agent: User, kb_admin: User
) -> None:
    publish_article(
        author=agent,
        approver=kb_admin,
        title="Wi-Fi keeps asking for a password",
        category=help_articles.wifi,
        visibility="public",
    )
    publish_article(
        author=agent,
        approver=kb_admin,
        title="Internal Wi-Fi controller notes",
        category=help_articles.wifi,
        visibility="internal",
    )
    page = _client(requester).get(_article_url(help_articles.public)).content.decode()
    assert "Wi-Fi keeps asking for a password" in page
    assert "Internal Wi-Fi controller notes" not in page


def test_hostile_article_text_is_shown_inert(help_articles: HelpArticles, agent: User, kb_admin: User) -> None:
    hostile = publish_article(
        author=agent,
        approver=kb_admin,
        title="<script>alert('title')</script> VPN",
        category=help_articles.wifi,
        problem="<img src=x onerror=alert(1)> broken",
        solution="[click](javascript:alert(1)) and <iframe src='https://evil.example'></iframe> ![x](https://evil.example/x.png)",
        visibility="public",
    )
    client = _client()
    for url in (_article_url(hostile), "/portal/help/", "/portal/help/categories/wifi/"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; VPN" in page
    page = client.get(_article_url(hostile)).content.decode()
    assert "onerror=" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "<iframe" not in page
    assert 'href="javascript' not in page
    assert "evil.example/x.png" not in page


def test_visitors_and_requesters_rate_and_suggest_corrections(help_articles: HelpArticles, requester: User) -> None:
    url = f"{_article_url(help_articles.public)}feedback/"
    answer = _client().post(url, {"helpful": "yes"})
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"{_article_url(help_articles.public)}#feedback")
    _client(requester).post(url, {"helpful": "no"})
    thanked = _client(requester).post(url, {"suggestion": "Say which client version"}, follow=True)
    assert "Thank you for your feedback." in thanked.content.decode()
    help_articles.public.refresh_from_db()
    assert (help_articles.public.helpful_count, help_articles.public.not_helpful_count) == (1, 1)
    assert list(ArticleFeedback.objects.values_list("user", "helpful", "suggestion", "version_number")) == [
        (requester.pk, None, "Say which client version", 1),
        (requester.pk, False, "", 1),
        (None, True, "", 1),
    ]


def test_one_vote_per_reader_and_session(help_articles: HelpArticles, requester: User) -> None:
    url = f"{_article_url(help_articles.public)}feedback/"
    visitor = _client()
    visitor.post(url, {"helpful": "yes"})
    again = visitor.post(url, {"helpful": "yes"}, follow=True).content.decode()
    assert "You have already rated this article." in again
    visitor.post(url, {"helpful": "yes", "suggestion": "A typo in step 2"})  # the suggestion still counts
    signed_in = _client(requester)
    signed_in.post(url, {"helpful": "no"})
    refused = signed_in.post(url, {"helpful": "no"}, follow=True).content.decode()
    assert "You have already rated this version of the article." in refused
    help_articles.public.refresh_from_db()
    assert (help_articles.public.helpful_count, help_articles.public.not_helpful_count) == (1, 1)
    assert ArticleFeedback.objects.filter(suggestion="A typo in step 2", helpful=None).count() == 1


def test_empty_or_broken_feedback_is_refused_with_a_message(help_articles: HelpArticles) -> None:
    url = f"{_article_url(help_articles.public)}feedback/"
    empty = _client().post(url, {"suggestion": "   "}, follow=True).content.decode()
    assert "Rate the article or suggest a correction." in empty
    bad = _client().post(url, {"helpful": "maybe", "suggestion": "bad\x00text"}, follow=True)
    assert bad.status_code == 200
    assert not ArticleFeedback.objects.exists()
    assert _client().get(url).status_code == 405


def test_staff_are_sent_to_their_workspace(help_articles: HelpArticles, agent: User) -> None:
    answer = _client(agent).get("/portal/help/")
    assert answer.status_code == 302
    assert answer["Location"] == "/desk/"


def test_the_help_centre_reads_a_fixed_number_of_queries(
    help_articles: HelpArticles, requester: User, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = _client(requester)
    client.get("/portal/help/")  # warm the session
    with django_assert_max_num_queries(6):
        assert client.get("/portal/help/").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get("/portal/help/categories/network/").status_code == 200


def test_the_portal_navigation_and_the_request_form_link_to_the_help_centre(requester: User) -> None:
    for url in ("/portal/", "/portal/new/"):
        assert 'href="/portal/help/"' in _client(requester).get(url).content.decode()


def test_an_article_of_an_inactive_category_is_read_without_a_trail_to_it(
    help_articles: HelpArticles, requester: User
) -> None:
    from sopdesk.kb import actions

    actions.update_category(
        help_articles.wifi, actor=None, changes={"is_active": False}, now=help_articles.public.created_at
    )
    page = _client(requester).get(_article_url(help_articles.public)).content.decode()
    assert "VPN 断开 every 10 minutes" in page
    assert "/portal/help/categories/wifi/" not in page
    assert _client(requester).get("/portal/help/categories/wifi/").status_code == 404
