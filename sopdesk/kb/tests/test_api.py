"""The knowledge-base API: authoring, review, versions and diff, readers, feedback, ticket links, categories."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import ApiClientFactory
from sopdesk.accounts.models import Organization, User
from sopdesk.audit.models import ConfigChange
from sopdesk.kb.models import Article
from sopdesk.testing import factories
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

KB = "/api/v1/kb"
JSON = "application/json"


def _post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, data if data is not None else {}, content_type=JSON)


def _new(client: Client, **fields: Any) -> dict[str, Any]:
    answer = _post(
        client,
        f"{KB}/articles",
        {"title": "打印机 prints blank pages", "solution": "Replace the toner.", "visibility": "public", **fields},
    )
    assert answer.status_code == 201, answer.content
    return dict(answer.json())


def _move(client: Client, article_id: int, action: str, comment: str = "") -> Any:
    return _post(client, f"{KB}/articles/{article_id}/transitions", {"action": action, "comment": comment})


def test_the_review_workflow_through_the_api(api_client: ApiClientFactory, agent: User, kb_admin: User) -> None:
    author, admin = api_client(agent), api_client(kb_admin)
    article = _new(author, tags=["printer", "打印"], article_type="troubleshooting")
    assert (article["status"], article["version"], article["owner"]["username"]) == ("draft", None, "agent")

    assert _move(author, article["id"], "approve").status_code == 403
    assert _move(author, article["id"], "submit").json()["status"] == "in_review"
    assert _move(admin, article["id"], "request_changes").status_code == 422  # a comment is required
    assert _move(admin, article["id"], "request_changes", "Name the printer model").json()["status"] == "draft"
    changed = author.patch(f"{KB}/articles/{article['id']}", {"applies_to": "HP M402"}, content_type=JSON)
    assert changed.status_code == 200, changed.content
    _move(author, article["id"], "submit")
    published = _move(admin, article["id"], "approve", "Thanks")
    assert (published.json()["status"], published.json()["version"]) == ("published", 1)
    assert _move(admin, article["id"], "approve").status_code == 409

    reviews = author.get(f"{KB}/articles/{article['id']}/reviews").json()
    assert [(entry["kind"], entry["comment"]) for entry in reviews] == [
        ("submitted", ""),
        ("changes_requested", "Name the printer model"),
        ("submitted", ""),
        ("approved", "Thanks"),
    ]
    assert _post(author, f"{KB}/articles/{article['id']}/comments", {"comment": "Also M404"}).status_code == 201


def _published(client: Client, admin: Client, **fields: Any) -> dict[str, Any]:
    article = _new(client, **fields)
    _move(client, article["id"], "submit")
    return dict(_move(admin, article["id"], "approve").json())


def test_readers_get_the_published_version_never_a_draft(
    api_client: ApiClientFactory, agent: User, kb_admin: User, requester: User, outsider: User, org_a: Organization
) -> None:
    author, admin, reader = api_client(agent), api_client(kb_admin), api_client(requester)
    public = _published(author, admin)
    for_org_a = _published(author, admin, title="Org A VPN", visibility="organizations", organizations=[org_a.name])
    internal = _published(author, admin, title="Internal runbook", visibility="internal")
    draft = _new(author, title="Unreviewed idea")
    author.patch(f"{KB}/articles/{public['id']}", {"solution": "Draft: reinstall the driver"}, content_type=JSON)

    listed = reader.get(f"{KB}/articles").json()
    assert {item["title"] for item in listed["items"]} == {"打印机 prints blank pages", "Org A VPN"}
    assert listed["count"] == 2
    assert {item["title"] for item in api_client(outsider).get(f"{KB}/articles").json()["items"]} == {
        "打印机 prints blank pages"
    }
    read = reader.get(f"{KB}/articles/{public['id']}").json()
    assert (read["status"], read["solution"], read["owner"]) == ("published", "Replace the toner.", None)
    assert reader.get(f"{KB}/articles?status=draft").json()["count"] == 0
    assert reader.get(f"{KB}/articles?status=published").json()["count"] == 2
    assert reader.get(f"{KB}/articles?review_due_by=2030-01-01").status_code == 403
    for hidden in (internal, draft):
        assert reader.get(f"{KB}/articles/{hidden['id']}").status_code == 404
        assert _post(reader, f"{KB}/articles/{hidden['id']}/feedback", {"helpful": True}).status_code == 404
    assert reader.get(f"{KB}/articles/{public['id']}/versions").status_code == 403
    assert _post(reader, f"{KB}/articles", {"title": "x"}).status_code == 403
    assert author.get(f"{KB}/articles/{for_org_a['id']}").json()["organizations"] == ["Org A"]
    assert Article.objects.get(pk=public["id"]).view_count == 1


def test_versions_diff_and_restore(api_client: ApiClientFactory, agent: User, kb_admin: User) -> None:
    author, admin = api_client(agent), api_client(kb_admin)
    article = _published(author, admin, diagnosis="Print a test page\nCheck the toner")
    url = f"{KB}/articles/{article['id']}"
    author.patch(url, {"diagnosis": "Print a test page\nCheck the fuser"}, content_type=JSON)
    _move(author, article["id"], "submit")
    _move(admin, article["id"], "approve")

    assert [row["number"] for row in author.get(f"{url}/versions").json()] == [1, 2]
    assert "Check the toner" in author.get(f"{url}/versions/1").json()["diagnosis"]
    diff = author.get(f"{url}/diff?from_version=1&to_version=2").json()
    changed = {field["field"]: field["lines"] for field in diff["fields"] if field["changed"]}
    assert changed == {
        "diagnosis": [
            {"op": "equal", "text": "Print a test page"},
            {"op": "delete", "text": "Check the toner"},
            {"op": "insert", "text": "Check the fuser"},
        ]
    }
    assert author.get(f"{url}/diff?from_version=1&to_version=9").status_code == 404
    assert author.get(f"{url}/diff?from_version=0").status_code == 422

    restored = _post(author, f"{url}/versions/1/restore")
    assert (restored.json()["status"], restored.json()["version"]) == ("draft", 2)
    assert "Check the toner" in restored.json()["diagnosis"]
    against_working_copy = author.get(f"{url}/diff?from_version=1").json()
    assert not any(field["changed"] for field in against_working_copy["fields"])


def test_feedback_and_counters(api_client: ApiClientFactory, agent: User, kb_admin: User, requester: User) -> None:
    author, reader = api_client(agent), api_client(requester)
    article = _published(author, api_client(kb_admin))
    url = f"{KB}/articles/{article['id']}"
    assert _post(reader, f"{url}/feedback", {"helpful": False, "suggestion": "Which toner?"}).status_code == 201
    assert _post(reader, f"{url}/feedback", {}).status_code == 422
    assert _post(reader, f"{url}/feedback", {"helpful": "maybe"}).status_code == 422

    assert reader.get(f"{url}/feedback").status_code == 403
    assert [row["suggestion"] for row in author.get(f"{url}/feedback").json()] == ["Which toner?"]
    assert author.get(url).json()["not_helpful_votes"] == 1


def test_ticket_links_and_a_draft_from_a_closure_summary(
    api_client: ApiClientFactory, agent: User, kb_admin: User, requester: User, engineer: User
) -> None:
    author = api_client(agent)
    article = _published(author, api_client(kb_admin))
    ticket = factories.make_ticket(requester, title="Printer blank pages again")
    url = f"{KB}/articles/{article['id']}/tickets"

    linked = author.put(f"{url}/{ticket.number}")
    assert linked.status_code == 200, linked.content
    assert [row["number"] for row in author.get(url).json()] == [ticket.number]
    assert author.get(f"{KB}/articles/{article['id']}").json()["tickets_solved"] == 1
    # The engineer's team does not see the service desk's ticket: 404, and it is not listed to them.
    assert api_client(engineer).put(f"{url}/{ticket.number}").status_code == 404
    assert api_client(engineer).get(url).json() == []
    assert author.delete(f"{url}/{ticket.number}").status_code == 204

    seed = f"/api/v1/tickets/{ticket.number}/kb-article"
    assert _post(author, seed).status_code == 409
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.RESOLVED,
        closure_problem="Blank pages",
        closure_diagnosis="Empty toner",
        closure_solution="Replaced the toner",
    )
    seeded = _post(author, seed)
    assert seeded.status_code == 201, seeded.content
    body = seeded.json()
    assert (body["status"], body["visibility"], body["source_ticket"]) == ("draft", "internal", ticket.number)
    assert (body["problem"], body["solution"]) == ("Blank pages", "Replaced the toner")
    assert _post(api_client(requester), seed).status_code == 403


def test_categories_are_kb_admin_configuration(api_client: ApiClientFactory, agent: User, kb_admin: User) -> None:
    admin = api_client(kb_admin)
    assert _post(admin, f"{KB}/categories", {"code": "network", "name": "网络"}).status_code == 201
    child = _post(admin, f"{KB}/categories", {"code": "vpn", "name": "VPN", "parent": "network"})
    assert child.json()["parent"] == "network"
    assert _post(api_client(agent), f"{KB}/categories", {"code": "x", "name": "X"}).status_code == 403
    assert _post(admin, f"{KB}/categories", {"code": "x", "name": "X", "parent": "nope"}).status_code == 422
    assert _post(admin, f"{KB}/categories", {"code": "network", "name": "again"}).status_code == 422
    loop = admin.patch(f"{KB}/categories/network", {"parent": "vpn"}, content_type=JSON)
    assert loop.status_code == 422
    renamed = admin.patch(f"{KB}/categories/vpn", {"name": "VPN 远程"}, content_type=JSON)
    assert renamed.json()["name"] == "VPN 远程"
    assert ConfigChange.objects.filter(object_type="kb.articlecategory").count() == 3

    author = api_client(agent)
    in_vpn = _new(author, title="In VPN", category="vpn")
    _new(author, title="Nowhere")
    found = author.get(f"{KB}/articles?category=network").json()
    assert [item["id"] for item in found["items"]] == [in_vpn["id"]]
    assert _post(author, f"{KB}/articles", {"title": "x", "category": "nope"}).status_code == 422


def test_bad_input_is_a_clear_422(api_client: ApiClientFactory, agent: User) -> None:
    author = api_client(agent)
    for payload in (
        {"title": ""},
        {"title": "x", "article_type": "novel"},
        {"title": "x", "visibility": "organizations"},
        {"title": "x", "organizations": ["No such org"], "visibility": "organizations"},
        {"title": "x", "tags": ["t"] * 21},
        {"title": "x", "solution": "a\x00b"},
        {"title": "x", "unknown": 1},
        {"title": "x", "owner": "nobody"},
    ):
        answer = _post(author, f"{KB}/articles", payload)
        assert answer.status_code == 422, (payload, answer.content)
    assert author.get(f"{KB}/articles?status=nope").status_code == 422
    assert author.get(f"{KB}/articles?sort=title").status_code == 422
    # A NUL byte reaches no query (PostgreSQL refuses it with a server error).
    assert author.get(f"{KB}/articles?category=net%00work").status_code == 422
    assert author.get(f"{KB}/categories/net%00work").status_code in (404, 405, 422)
    assert author.get(f"{KB}/articles/999999").status_code == 404


def test_the_article_list_costs_the_same_queries_for_more_rows(
    api_client: ApiClientFactory, agent: User, kb_admin: User, requester: User, org_a: Organization
) -> None:
    author, admin = api_client(agent), api_client(kb_admin)

    def count_queries(client: Client) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"{KB}/articles").status_code == 200
        return len(context.captured_queries)

    _published(author, admin, visibility="organizations", organizations=[org_a.name])
    few = (count_queries(author), count_queries(api_client(requester)))
    for _ in range(4):
        _published(author, admin, visibility="organizations", organizations=[org_a.name])
    assert (count_queries(author), count_queries(api_client(requester))) == few
