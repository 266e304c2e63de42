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


@pytest.fixture
def filtered(requester: User, service_desk: Team) -> dict[str, Ticket]:
    from datetime import UTC, datetime

    from sopdesk.tickets.models import Category

    hardware = Category.objects.create(code="hw", name="Hardware")
    Category.objects.create(code="hw-printer", name="Printers", parent=hardware)
    Category.objects.create(code="net", name="Network")
    made = {
        "old": factories.make_ticket(requester, title="打印机卡纸 old", category="hw", ticket_type="fault"),
        "child": factories.make_ticket(requester, title="打印机卡纸 child", category="hw-printer"),
        "net": factories.make_ticket(requester, title="打印机卡纸 net", category="net", ticket_type="consultation"),
    }
    Ticket.objects.update(team=service_desk)
    Ticket.objects.filter(pk=made["old"].pk).update(status="closed", created_at=datetime(2026, 1, 5, tzinfo=UTC))
    Ticket.objects.filter(pk=made["child"].pk).update(created_at=datetime(2026, 2, 5, tzinfo=UTC))
    Ticket.objects.filter(pk=made["net"].pk).update(created_at=datetime(2026, 3, 5, tzinfo=UTC))
    index_pending()
    return made


def _found(client: Client, **params: object) -> set[str]:
    response = client.get(SEARCH, {"q": "打印机 卡纸", **params})
    assert response.status_code == 200, response.content
    return {item["number"] for item in response.json()["items"]}


def test_search_endpoint_filters(filtered: dict[str, Ticket], agent: User, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(agent)
    numbers = {key: ticket.number for key, ticket in filtered.items()}
    assert _found(client) == set(numbers.values())
    assert _found(client, status="closed") == {numbers["old"]}
    assert _found(client, status=["new", "assigned"]) == {numbers["child"], numbers["net"]}
    assert _found(client, category="hw") == {numbers["old"], numbers["child"]}  # subcategories included
    assert _found(client, category="hw-printer") == {numbers["child"]}
    assert _found(client, type="consultation") == {numbers["net"]}
    assert _found(client, type="fault") == {numbers["old"], numbers["child"]}  # the default type
    assert _found(client, type=["consultation", "fault"]) == set(numbers.values())
    assert _found(client, created_after="2026-02-01T00:00:00Z") == {numbers["child"], numbers["net"]}
    assert _found(client, created_before="2026-02-01T00:00:00Z") == {numbers["old"]}
    assert _found(client, created_after="2026-02-01T00:00:00Z", created_before="2026-03-01T00:00:00Z") == {
        numbers["child"]
    }
    assert _found(client, category="hw", status="closed", type="fault") == {numbers["old"]}


def test_search_filters_keep_visibility(filtered: dict[str, Ticket], outsider: User, api_client) -> None:  # type: ignore[no-untyped-def]
    assert _found(api_client(outsider), category="hw") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"type": "nope"}, "type"),
        ({"category": "no-such"}, "category"),
        ({"category": "a\u202eb"}, "category"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-03-01T00:00:00Z", "created_before": "2026-02-01T00:00:00Z"}, "created_before"),
        ({"category": ["hw", "net"]}, "category"),
    ],
)
def test_search_filters_refuse_bad_values_by_field(  # type: ignore[no-untyped-def]
    filtered: dict[str, Ticket], agent: User, api_client, params: dict[str, object], field: str
) -> None:
    response = api_client(agent).get(SEARCH, {"q": "打印机", **params})
    assert response.status_code == 422
    # A repeatable parameter's error names the value too (`status.0`), as in the ticket list.
    assert field in {error["field"].split(".")[0] for error in response.json()["errors"]}


@pytest.fixture
def ranked(requester: User, service_desk: Team) -> list[Ticket]:
    """Three matches whose best-match order is the reverse of newest first."""
    from datetime import UTC, datetime

    made = [
        factories.make_ticket(requester, title="打印机卡纸", description="打印机 卡纸 打印机"),
        factories.make_ticket(requester, title="打印机 故障", description="卡纸"),
        factories.make_ticket(requester, title="其他问题", description="打印机偶尔卡纸"),
    ]
    for day, ticket in enumerate(made, start=1):
        Ticket.objects.filter(pk=ticket.pk).update(team=service_desk, created_at=datetime(2026, 1, day, tzinfo=UTC))
    index_pending()
    return made


def test_list_api_orders_by_relevance(ranked: list[Ticket], agent: User, api_client) -> None:  # type: ignore[no-untyped-def]
    client: Client = api_client(agent)
    best_first = [ticket.number for ticket in ranked]
    newest = client.get("/api/v1/tickets", {"q": "打印机 卡纸"}).json()
    assert [item["number"] for item in newest["items"]] == best_first[::-1]
    body = client.get("/api/v1/tickets", {"q": "打印机 卡纸", "ordering": "relevance"}).json()
    assert [item["number"] for item in body["items"]] == best_first
    # An exact number comes before word matches.
    by_number = client.get("/api/v1/tickets", {"q": ranked[2].number, "ordering": "relevance"}).json()
    assert [item["number"] for item in by_number["items"]] == [ranked[2].number]
    # Pages follow the cursor in the same order, every ticket once; offset works too.
    seen, params = [], {"q": "打印机 卡纸", "ordering": "relevance", "limit": 1}
    while True:
        page = client.get("/api/v1/tickets", params).json()
        seen += [item["number"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params = {**params, "cursor": page["next_cursor"]}
    assert seen == best_first
    second = client.get("/api/v1/tickets", {"q": "打印机 卡纸", "ordering": "relevance", "limit": 1, "offset": 1})
    assert [item["number"] for item in second.json()["items"]] == best_first[1:2]
    # Other filters still apply.
    closed = client.get("/api/v1/tickets", {"q": "打印机 卡纸", "ordering": "relevance", "status": "closed"})
    assert closed.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "relevance"}, "ordering"),
        ({"ordering": "relevance", "q": "  "}, "ordering"),
        ({"ordering": "relevance", "q": "打印机", "cursor": "WyJudW1iZXIiLFsiVFMtMSJdXQ"}, "cursor"),
        ({"ordering": "-created_at", "q": "打印机", "cursor": "WyJyZWxldmFuY2UiLFsiMSJdXQ"}, "cursor"),
        ({"ordering": "relevance", "q": "打印机", "cursor": "WyJyZWxldmFuY2UiLFsiLTEiXV0"}, "cursor"),
    ],
)
def test_list_api_relevance_refusals(ranked: list[Ticket], agent: User, api_client, params, field) -> None:  # type: ignore[no-untyped-def]
    response = api_client(agent).get("/api/v1/tickets", params)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


def test_workspace_search_box_offers_best_match(ranked: list[Ticket], agent: User, client: Client) -> None:
    client.force_login(agent)
    default = client.get("/desk/queues/all/", {"q": "打印机 卡纸"}).content.decode()
    assert '<option value="relevance">' in default  # offered, not chosen: the queue's own order stays
    html = client.get("/desk/queues/all/", {"q": "打印机 卡纸", "ordering": "relevance"}).content.decode()
    assert '<option value="relevance" selected>' in html
    positions = [html.index(ticket.number) for ticket in ranked]
    assert positions == sorted(positions)  # best match first
    newest = client.get("/desk/queues/all/", {"q": "打印机 卡纸", "ordering": "-created_at"}).content.decode()
    positions = [newest.index(ticket.number) for ticket in ranked]
    assert positions == sorted(positions, reverse=True)
    plain = client.get("/desk/queues/all/").content.decode()
    assert 'value="relevance"' not in plain
    assert client.get("/desk/queues/all/", {"ordering": "relevance"}).status_code == 400
