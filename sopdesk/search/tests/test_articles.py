"""Article search over a hand-built Chinese/English knowledge base: relevance, filters, visibility, index upkeep."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from sopdesk.accounts.models import Organization, Team, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.search.backends import backend
from sopdesk.search.indexing import index_pending_articles, reindex_articles
from sopdesk.search.models import PendingArticle
from sopdesk.search.service import SearchQueryError, search_articles, search_tickets
from sopdesk.search.tests.conftest import NOW, Committed, publish, write
from sopdesk.testing import factories

# key: (category, type, title, problem, solution); all public. Each query of RELEVANCE must bring its article first.
CORPUS = {
    "vpn": (
        "network",
        "troubleshooting",
        "VPN 每隔十分钟断开",
        "在家办公时 VPN 客户端频繁断开连接，网络本身正常。",
        "把 VPN client 升级到 5.2 版本。",
    ),
    "wifi": (
        "wireless",
        "faq",
        "无线网络连接不上",
        "笔记本搜不到公司的无线网络 SSID。",
        "在网络设置里忘记该网络后重新连接，输入域账号。",
    ),
    "printer": (
        "hardware",
        "troubleshooting",
        "打印机脱机无法打印",
        "共享打印机显示脱机，文件一直在队列里。The printer shows offline.",
        "重启 Print Spooler 服务，然后重新添加共享打印机。",
    ),
    "password": (
        "accounts",
        "how_to",
        "How to reset your domain password",
        "You forgot your password or it expired.",
        "Open the self-service portal and choose **Reset password**.",
    ),
    "outlook": (
        "accounts",
        "faq",
        "Outlook 无法同步日历",
        "Outlook 2016 的日历和手机不同步。",
        "删除手机上的账户后重新添加，并检查 Exchange 同步设置。",
    ),
}
RELEVANCE = [
    ("VPN 断开", "vpn"),
    ("打印机", "printer"),
    ("reset password", "password"),
    ("pass", "password"),  # English prefix
    ("Outlook 日历", "outlook"),
    ("无线网络", "wifi"),
    ("网络", "wifi"),  # in wifi's title, only in vpn's body: the title weighs more
    ("spooler", "printer"),
    ("offline", "printer"),
    ("printers", "printer"),  # English stem: printers → printer
    ("passwords resetting", "password"),  # passwords → password, resetting → reset
]


@pytest.fixture
def corpus(
    categories: dict[str, ArticleCategory], agent: User, kb_admin: User, committed: Committed
) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    with committed():
        for key, (category, kind, title, problem, solution) in CORPUS.items():
            article = write(
                agent, categories[category], title=title, solution=solution, problem=problem, article_type=kind
            )
            publish(article, author=agent, approver=kb_admin)
            articles[key] = article
    assert not PendingArticle.objects.exists()  # the job ran after commit
    return articles


def _ids(user: Any, query: str, **options: Any) -> list[int]:
    return [hit.article.pk for hit in search_articles(user, query, **options)]


@pytest.mark.parametrize(("query", "expected"), RELEVANCE)
def test_expected_article_comes_first(corpus: dict[str, Article], requester: User, query: str, expected: str) -> None:
    ids = _ids(requester, query)
    assert ids, query
    assert ids[0] == corpus[expected].pk


def test_every_word_must_match_unless_match_any(corpus: dict[str, Article], requester: User) -> None:
    assert _ids(requester, "打印机 VPN") == []
    found = _ids(requester, "打印机 VPN zzzunknown", match_any=True)
    assert set(found) == {corpus["printer"].pk, corpus["vpn"].pk}
    # More matching words rank higher.
    ranked = _ids(requester, "VPN 断开 打印机", match_any=True)
    assert ranked[0] == corpus["vpn"].pk
    assert corpus["printer"].pk in ranked


def test_hits_carry_the_live_version_and_a_safe_snippet(
    categories: dict[str, ArticleCategory], agent: User, kb_admin: User, committed: Committed
) -> None:
    with committed():
        article = write(
            agent,
            categories["hardware"],
            title="扫描仪 <b>驱动</b>",
            problem="扫描仪无法识别 <script>alert(1)</script>",
            solution="**重装** 扫描仪驱动，见 [说明](https://example.com/x)。",
        )
        publish(article, author=agent, approver=kb_admin)
    (hit,) = search_articles(AnonymousUser(), "扫描仪")
    assert hit.article.live_version is not None
    assert hit.article.live_version.title == "扫描仪 <b>驱动</b>"
    assert "<mark>扫描仪</mark>" in hit.snippet
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "**" not in hit.snippet  # the reader's text, not the Markdown source
    assert hit.score > 0


def test_category_includes_subcategories_and_type_filters(corpus: dict[str, Article], requester: User) -> None:
    assert set(_ids(requester, "网络", category="network")) == {corpus["vpn"].pk, corpus["wifi"].pk}
    assert _ids(requester, "网络", category="wireless") == [corpus["wifi"].pk]
    assert _ids(requester, "网络", category="hardware") == []
    assert _ids(requester, "网络", category="no-such-category") == []
    assert _ids(requester, "网络", article_type="faq") == [corpus["wifi"].pk]
    assert _ids(requester, "网络", article_type="troubleshooting") == [corpus["vpn"].pk]


@pytest.fixture
def restricted(
    categories: dict[str, ArticleCategory], agent: User, kb_admin: User, org_a: Organization, committed: Committed
) -> dict[str, Article]:
    with committed():
        internal = write(agent, None, title="防火墙策略 firewallsop", solution="内部流程", visibility="internal")
        publish(internal, author=agent, approver=kb_admin)
        for_org = actions.create_article(
            actor=agent,
            values={"title": "财务系统登录 financelogin", "solution": "用域账号登录", "visibility": "organizations"},
            organizations=[org_a],
            now=NOW,
        )
        publish(for_org, author=agent, approver=kb_admin)
        draft = write(agent, None, title="草稿 draftonly", solution="未发布")
        in_review = write(agent, None, title="审核中 reviewonly", solution="未发布")
        actions.submit_for_review(in_review, actor=agent, now=NOW)
    return {"internal": internal, "for_org": for_org, "draft": draft, "in_review": in_review}


def test_drafts_internal_and_other_organisations_articles_never_reach_readers(
    restricted: dict[str, Article], requester: User, outsider: User, agent: User
) -> None:
    anonymous = AnonymousUser()
    assert _ids(agent, "firewallsop") == [restricted["internal"].pk]
    assert _ids(agent, "financelogin") == [restricted["for_org"].pk]
    assert _ids(requester, "financelogin") == [restricted["for_org"].pk]
    for reader in (anonymous, requester, outsider):
        assert _ids(reader, "firewallsop") == []
        assert _ids(reader, "draftonly") == []
        assert _ids(reader, "reviewonly") == []
        assert _ids(reader, "firewallsop draftonly reviewonly", match_any=True) == []
    for reader in (anonymous, outsider):
        assert _ids(reader, "financelogin") == []
    # Unpublished text is not in the index at all, so not even staff find it.
    assert _ids(agent, "draftonly reviewonly", match_any=True) == []


def test_published_found_then_outdated_and_archived_gone(
    categories: dict[str, ArticleCategory], agent: User, kb_admin: User, requester: User, committed: Committed
) -> None:
    with committed():
        first = write(agent, None, title="堡垒机证书过期", solution="重新申请证书 bastioncert")
        second = write(agent, None, title="堡垒机登录超时", solution="调整超时 bastiontimeout")
    assert _ids(requester, "堡垒机") == []
    with committed():
        publish(first, author=agent, approver=kb_admin)
        publish(second, author=agent, approver=kb_admin)
    assert set(_ids(requester, "堡垒机")) == {first.pk, second.pk}
    with committed():
        actions.mark_outdated(first, actor=kb_admin, now=NOW)
    assert _ids(requester, "堡垒机") == [second.pk]
    assert _ids(agent, "bastioncert") == []
    with committed():
        actions.archive_article(second, actor=kb_admin, now=NOW)
    assert _ids(requester, "堡垒机") == []
    assert _ids(agent, "堡垒机") == []


def test_edited_article_keeps_old_text_until_republished(
    corpus: dict[str, Article], agent: User, kb_admin: User, requester: User, committed: Committed
) -> None:
    article = corpus["vpn"]
    with committed():
        actions.update_article(
            article, actor=agent, changes={"solution": "改用 WireGuard 客户端 wireguardfix"}, now=NOW
        )
    # The working copy changed; readers (and the index) keep the live version.
    assert _ids(requester, "wireguardfix") == []
    assert _ids(requester, "VPN 断开") == [article.pk]
    assert _ids(agent, "wireguardfix") == []
    with committed():
        publish(article, author=agent, approver=kb_admin)
    assert _ids(requester, "wireguardfix") == [article.pk]
    assert _ids(requester, "升级 5.2") == []  # the old solution is gone from the index
    (hit,) = search_articles(requester, "wireguardfix")
    assert "wireguardfix" in hit.snippet


def test_incremental_index_equals_rebuilt_index(
    corpus: dict[str, Article], restricted: dict[str, Article], agent: User, kb_admin: User, committed: Committed
) -> None:
    with committed():
        actions.update_article(corpus["printer"], actor=agent, changes={"title": "打印机脱机 offline"}, now=NOW)
        publish(corpus["printer"], author=agent, approver=kb_admin)
        actions.archive_article(corpus["outlook"], actor=kb_admin, now=NOW)
        actions.update_article(restricted["draft"], actor=agent, changes={"notes": "还没写完"}, now=NOW)
    incremental = backend().dump_articles()
    assert corpus["outlook"].pk not in incremental
    assert restricted["draft"].pk not in incremental
    backend().clear_articles()
    assert reindex_articles(batch_size=3) == Article.objects.count()
    assert backend().dump_articles() == incremental
    assert len(incremental) == len(CORPUS) - 1 + 2  # the archived one out, internal and organisation one in


def test_pending_notes_are_drained_and_missing_ones_caught_up(corpus: dict[str, Article], requester: User) -> None:
    backend().clear_articles()
    assert _ids(requester, "打印机") == []
    for article in corpus.values():
        PendingArticle.objects.create(article_id=article.pk, noted_at=NOW)
    PendingArticle.objects.create(article_id=10**9, noted_at=NOW)  # an unknown id is simply not indexed
    assert index_pending_articles(limit=2) == len(CORPUS)
    assert not PendingArticle.objects.exists()
    assert _ids(requester, "打印机") == [corpus["printer"].pk]


def test_ticket_search_match_any(requester: User, agent: User, service_desk: Team) -> None:
    from sopdesk.search.indexing import index_pending
    from sopdesk.tickets.models import Ticket

    printer = factories.make_ticket(requester, title="打印机卡纸", description="三楼")
    vpn = factories.make_ticket(requester, title="VPN 断开", description="在家")
    Ticket.objects.update(team=service_desk)
    index_pending()
    assert search_tickets(agent, "打印机 VPN") == []
    found = [hit.ticket.pk for hit in search_tickets(agent, "打印机 VPN 断开", match_any=True)]
    assert found == [vpn.pk, printer.pk]  # two of the words before one


HOSTILE = [
    '"',
    '"unterminated',
    "*",
    "NEAR(vpn 断开)",
    "-vpn",
    "title:vpn",
    "{title}: vpn",
    "vpn OR 1=1; DROP TABLE kb_article; --",
    "' OR ''='",
    "a & b | !c :* <->",
    "AND OR NOT",
    "\\",
]


@pytest.mark.parametrize("query", HOSTILE)
@pytest.mark.parametrize("match_any", [False, True])
def test_hostile_queries(corpus: dict[str, Article], requester: User, query: str, match_any: bool) -> None:
    search_articles(requester, query, match_any=match_any)  # no database error
    assert Article.objects.count() == len(CORPUS)


def test_too_long_query_is_refused(corpus: dict[str, Article], requester: User) -> None:
    with pytest.raises(SearchQueryError):
        search_articles(requester, "x" * 201)
