"""The ticket list API's `q` and the workspace search box go through the search service."""

from __future__ import annotations

import pytest
from django.test import Client

from sopdesk.accounts.models import Team, User
from sopdesk.search.indexing import index_pending
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

HOSTILE = ['"', "NEAR(a b)", "-x", "title:x", "' OR 1=1 --", "*", "a:*&|!"]


@pytest.fixture
def tickets(requester: User, service_desk: Team) -> list[Ticket]:
    made = [
        factories.make_ticket(requester, title="打印机卡纸", description="三楼打印机"),
        factories.make_ticket(requester, title="Outlook password prompt", description="keeps asking"),
    ]
    Ticket.objects.update(team=service_desk)
    index_pending()
    return made


def test_api_q_uses_segmented_search_and_keeps_filters(tickets: list[Ticket], agent: User, api_client) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(agent)
    found = client.get("/api/v1/tickets", {"q": "三楼 卡纸"}).json()  # two words: no substring
    assert [item["number"] for item in found["items"]] == [tickets[0].number]
    assert client.get("/api/v1/tickets", {"q": "三楼 卡纸", "status": "closed"}).json()["items"] == []
    by_number = client.get("/api/v1/tickets", {"q": tickets[1].number}).json()
    assert [item["number"] for item in by_number["items"]] == [tickets[1].number]


@pytest.mark.parametrize("query", HOSTILE)
def test_api_hostile_q_never_fails(tickets: list[Ticket], agent: User, api_client, query: str) -> None:  # type: ignore[no-untyped-def]
    response = api_client(agent).get("/api/v1/tickets", {"q": query})
    assert response.status_code == 200


def test_api_too_long_q_is_a_clear_error(tickets: list[Ticket], agent: User, api_client) -> None:  # type: ignore[no-untyped-def]
    response = api_client(agent).get("/api/v1/tickets", {"q": "网" * 201})
    assert response.status_code in (400, 422)


def test_workspace_search_box(tickets: list[Ticket], agent: User, client: Client) -> None:
    client.force_login(agent)
    page = client.get("/desk/queues/all/", {"q": "prompt outlook"})  # reversed words: no substring
    assert page.status_code == 200
    html = page.content.decode()
    assert tickets[1].number in html
    assert tickets[0].number not in html


SEARCH = "/api/v1/search/tickets"


def test_search_endpoint_ranks_and_highlights(tickets: list[Ticket], agent: User, api_client) -> None:  # type: ignore[no-untyped-def]
    body = api_client(agent).get(SEARCH, {"q": "打印机"}).json()
    assert [item["number"] for item in body["items"]] == [tickets[0].number]
    assert "<mark>打印机</mark>" in body["items"][0]["snippet"]


def test_search_endpoint_applies_visibility(tickets: list[Ticket], outsider: User, api_client) -> None:  # type: ignore[no-untyped-def]
    assert api_client(outsider).get(SEARCH, {"q": "打印机"}).json()["items"] == []


@pytest.mark.parametrize("query", HOSTILE)
def test_search_endpoint_hostile_queries(tickets: list[Ticket], agent: User, api_client, query: str) -> None:  # type: ignore[no-untyped-def]
    assert api_client(agent).get(SEARCH, {"q": query}).status_code == 200


@pytest.mark.parametrize("params", [{"q": "网" * 201}, {"q": ""}, {}, {"q": "x", "limit": "0"}, {"q": "x", "qq": "1"}])
def test_search_endpoint_refuses_bad_parameters(tickets: list[Ticket], agent: User, api_client, params) -> None:  # type: ignore[no-untyped-def]
    assert api_client(agent).get(SEARCH, params).status_code == 422
