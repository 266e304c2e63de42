"""`GET /api/v1/search/articles`: ranked published articles, snippets, the caller's visibility, strict parameters."""

from __future__ import annotations

from typing import Any

import pytest

from sopdesk.accounts.models import Organization, User
from sopdesk.kb import actions
from sopdesk.kb.models import Article, ArticleCategory
from sopdesk.search.tests.conftest import NOW, Committed, publish, write

SEARCH = "/api/v1/search/articles"
HOSTILE = ['"', "NEAR(a b)", "-x", "title:x", "' OR 1=1 --", "*", "a:*&|!", "{title body}: x", "\\"]


@pytest.fixture
def articles(
    categories: dict[str, ArticleCategory], agent: User, kb_admin: User, org_a: Organization, committed: Committed
) -> dict[str, Article]:
    with committed():
        printer = write(
            agent,
            categories["hardware"],
            title="打印机卡纸",
            solution="打开后盖取出卡纸 <img src=x onerror=alert(1)>",
            article_type="how_to",
        )
        wifi = write(agent, categories["wireless"], title="无线网络 打印机 共享", solution="连接 guest 网络")
        for_org = actions.create_article(
            actor=agent,
            values={"title": "打印机 财务专用", "solution": "见内部说明", "visibility": "organizations"},
            organizations=[org_a],
            now=NOW,
        )
        internal = write(agent, None, title="打印机 采购流程", solution="内部", visibility="internal")
        for article in (printer, wifi, for_org, internal):
            publish(article, author=agent, approver=kb_admin)
        write(agent, None, title="打印机 草稿", solution="未发布")
    return {"printer": printer, "wifi": wifi, "for_org": for_org, "internal": internal}


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


def test_ranks_highlights_and_shapes_hits(articles: dict[str, Article], requester: User, api_client) -> None:  # type: ignore[no-untyped-def]
    response = api_client(requester).get(SEARCH, {"q": "打印机 卡纸"})
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["id"] == articles["printer"].pk
    assert item["title"] == "打印机卡纸"
    assert item["type"] == "how_to"
    assert item["category"] == "hardware"
    assert item["score"] > 0
    assert "<mark>卡纸</mark>" in item["snippet"]
    assert "<img" not in item["snippet"]
    assert "&lt;img" in item["snippet"]


def test_visibility_of_the_caller(
    articles: dict[str, Article], requester: User, outsider: User, agent: User, api_client
) -> None:  # type: ignore[no-untyped-def]
    everyone = {articles["printer"].pk, articles["wifi"].pk}
    assert set(_ids(api_client(outsider).get(SEARCH, {"q": "打印机"}).json())) == everyone
    assert set(_ids(api_client(requester).get(SEARCH, {"q": "打印机"}).json())) == {*everyone, articles["for_org"].pk}
    staff = set(_ids(api_client(agent).get(SEARCH, {"q": "打印机"}).json()))
    assert staff == {*everyone, articles["for_org"].pk, articles["internal"].pk}  # never the draft


def test_category_type_and_limit(articles: dict[str, Article], requester: User, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(requester)
    assert _ids(client.get(SEARCH, {"q": "打印机", "category": "network"}).json()) == [articles["wifi"].pk]
    assert _ids(client.get(SEARCH, {"q": "打印机", "type": "how_to"}).json()) == [articles["printer"].pk]
    assert len(client.get(SEARCH, {"q": "打印机", "limit": 1}).json()["items"]) == 1


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries(articles: dict[str, Article], requester: User, api_client, query: str) -> None:  # type: ignore[no-untyped-def]
    assert api_client(requester).get(SEARCH, {"q": query}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "网" * 201},
        {"q": ""},
        {},
        {"q": "x", "limit": "0"},
        {"q": "x", "limit": "51"},
        {"q": "x", "type": "novel"},
        {"q": "x", "category": "a\nb"},
        {"q": "x", "category": "no-such-category"},
        {"q": "x", "qq": "1"},
        {"q": ["x", "y"]},
    ],
)
def test_refuses_bad_parameters(articles: dict[str, Article], requester: User, api_client, params) -> None:  # type: ignore[no-untyped-def]
    assert api_client(requester).get(SEARCH, params).status_code == 422


def test_needs_authentication(articles: dict[str, Article], client) -> None:  # type: ignore[no-untyped-def]
    assert client.get(SEARCH, {"q": "打印机"}).status_code == 401
