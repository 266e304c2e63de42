"""The ticket page's knowledge panel: who gets it, "solved with" links and drafts from tickets."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.kb import actions as kb
from sopdesk.kb.models import Article, ArticleTicketLink
from sopdesk.search.indexing import index_articles
from sopdesk.testing import factories
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"><script>alert("t")</script>'
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def kb_admin(service_desk: Team) -> User:
    return factories.make_user("kb-admin", role=Role.KB_ADMIN, teams=[service_desk])


def make_article(author: User, approver: User | None, **values: Any) -> Article:
    """Write an article through the actions; publish it when `approver` is given."""
    now = timezone.now()
    fields = {"title": "VPN drops every hour", "solution": "Update the VPN client to 5.2.", **values}
    article = kb.create_article(actor=author, values=fields, now=now)
    if approver is not None:
        kb.submit_for_review(article, actor=author, now=now)
        kb.approve_article(article, actor=approver, now=now)
        article.refresh_from_db()
    index_articles([article.pk])  # what the after-commit job does
    return article


def resolved(ticket: Ticket) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.RESOLVED,
        closure_problem="Outlook asks for the password again and again",
        closure_diagnosis="Cached credentials were stale",
        closure_solution="Remove the credentials from the Windows credential manager",
    )
    ticket.refresh_from_db()
    return ticket


def test_the_ticket_page_loads_the_panel_after_the_page(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert f'hx-get="/desk/tickets/{ticket.number}/knowledge/"' in html
    assert "workspace/knowledge.js" in html


def test_the_panel_suggests_published_articles_staff_may_read(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN 每小时断开", description="The VPN drops every hour.")
    internal = make_article(
        agent, kb_admin, title="VPN 断开的处理", article_type="troubleshooting", visibility="internal"
    )
    kb.give_feedback(internal, user=requester, helpful=True, suggestion="", now=timezone.now())
    draft = make_article(agent, None, title="VPN drops every hour (draft)")
    in_review = make_article(agent, None, title="VPN drops every hour (in review)")
    kb.submit_for_review(in_review, actor=agent, now=timezone.now())
    make_article(agent, kb_admin, title="Printer jams", problem="Paper is stuck.", solution="Open tray 2.")

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/knowledge/").content.decode()

    suggested = html.split('id="knowledge-suggested"')[1].split('id="knowledge-linked"')[0]
    assert "VPN 断开的处理" in suggested
    assert "Troubleshooting · 1 helpful vote" in suggested
    assert "<mark>" in suggested
    assert f'href="/desk/kb/{internal.pk}/"' in suggested
    assert 'data-insert-solution="Update the VPN client to 5.2."' in suggested
    assert f"/knowledge/{internal.pk}/link/" in suggested
    assert "(draft)" not in html
    assert f"/desk/kb/{draft.pk}/" not in html
    assert "(in review)" not in html
    assert "Printer jams" not in html


def test_a_linked_suggestion_says_so_instead_of_offering_the_link(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN drops every hour")
    article = make_article(agent, kb_admin)
    kb.link_ticket(article, ticket=ticket, actor=agent, now=timezone.now())

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/knowledge/").content.decode()

    suggested = html.split('id="knowledge-suggested"')[1].split('id="knowledge-linked"')[0]
    assert "VPN drops every hour" in suggested
    assert "/link/" not in suggested
    assert "Solved with this" in suggested


def test_a_requester_never_gets_the_panel(requester: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(requester)

    response = client.get(f"/desk/tickets/{ticket.number}/knowledge/")

    assert response.status_code == 302
    assert "knowledge-panel" not in response.content.decode()
    assert client.post(f"/desk/tickets/{ticket.number}/knowledge/draft/").status_code == 302


def test_an_agent_of_another_team_gets_404_for_a_ticket_they_cannot_see(
    requester: User, agent: User, engineer: User, kb_admin: User
) -> None:
    ticket = resolved(factories.make_ticket(requester))
    article = make_article(agent, kb_admin)
    client = client_for(engineer)

    assert client.get(f"/desk/tickets/{ticket.number}/knowledge/").status_code == 404
    assert client.post(f"/desk/tickets/{ticket.number}/knowledge/{article.pk}/link/", **HTMX).status_code == 404
    assert client.post(f"/desk/tickets/{ticket.number}/knowledge/draft/").status_code == 404
    assert not ArticleTicketLink.objects.exists()
    assert Article.objects.count() == 1


def test_solved_with_links_and_unlinks_the_article(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester)
    article = make_article(agent, kb_admin)
    client = client_for(agent)
    base = f"/desk/tickets/{ticket.number}/knowledge/{article.pk}"

    html = client.post(f"{base}/link/", **HTMX).content.decode()

    assert ArticleTicketLink.objects.filter(article=article, ticket=ticket, linked_by=agent).exists()
    article.refresh_from_db()
    assert article.solved_count == 1
    linked = html.split('id="knowledge-linked"')[1]
    assert "VPN drops every hour" in linked
    assert f'action="{base}/unlink/"' in linked
    assert f"/desk/kb/{article.pk}/" in linked

    html = client.post(f"{base}/unlink/", **HTMX).content.decode()

    assert not ArticleTicketLink.objects.exists()
    article.refresh_from_db()
    assert article.solved_count == 0
    assert "No article is linked yet." in html


def test_without_htmx_a_link_returns_to_the_ticket_page(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester)
    article = make_article(agent, kb_admin)

    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/knowledge/{article.pk}/link/")

    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{ticket.number}/"
    assert ArticleTicketLink.objects.filter(article=article, ticket=ticket).exists()


def test_a_read_only_viewer_reads_the_links_but_cannot_change_them(
    requester: User, agent: User, kb_admin: User, auditor: User
) -> None:
    ticket = factories.make_ticket(requester)
    article = make_article(agent, kb_admin)
    kb.link_ticket(article, ticket=ticket, actor=agent, now=timezone.now())
    client = client_for(auditor)

    html = client.get(f"/desk/tickets/{ticket.number}/knowledge/").content.decode()
    assert "VPN drops every hour" in html
    assert "/unlink/" not in html
    assert "knowledge-draft" not in html

    html = client.post(f"/desk/tickets/{ticket.number}/knowledge/{article.pk}/unlink/", **HTMX).content.decode()
    assert '<div class="alert alert-danger" role="alert">Only support staff may write' in html  # htmx swaps no 403
    response = client.post(f"/desk/tickets/{ticket.number}/knowledge/{article.pk}/unlink/")
    assert response.status_code == 302
    assert ArticleTicketLink.objects.filter(article=article, ticket=ticket).exists()


def test_an_unknown_article_is_404(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)

    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/knowledge/999999/link/", **HTMX)

    assert response.status_code == 404


def test_hostile_article_text_stays_text(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN alert")
    article = make_article(
        agent, kb_admin, title=f"VPN {HOSTILE}", problem=f"VPN alert {HOSTILE}", solution=f"Run {HOSTILE} now"
    )
    kb.link_ticket(article, ticket=ticket, actor=agent, now=timezone.now())

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/knowledge/").content.decode()

    suggested = html.split('id="knowledge-suggested"')[1].split('id="knowledge-linked"')[0]
    assert "<mark>VPN</mark>" in suggested  # the snippet is shown as markup, its text escaped
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "VPN &lt;img src=x" in html
    assert 'data-insert-solution="Run &lt;img src=x onerror=&quot;alert(1)&quot;&gt;' in html


def test_a_resolved_ticket_with_a_summary_drafts_an_article_and_opens_it(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title="Outlook keeps asking for the password")
    client = client_for(agent)
    panel = f"/desk/tickets/{ticket.number}/knowledge/"
    assert "knowledge-draft" not in client.get(panel).content.decode()

    response = client.post(f"{panel}draft/")
    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{ticket.number}/"
    assert not Article.objects.exists()

    resolved(ticket)
    assert "Draft an article from this ticket" in client.get(panel).content.decode()
    response = client.post(f"{panel}draft/")

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/kb/{article.pk}/"
    assert (article.source_ticket, article.owner, article.title) == (ticket, agent, ticket.title)
    assert article.solution == "Remove the credentials from the Windows credential manager"


def test_the_panel_costs_the_same_queries_for_1_and_4_articles(requester: User, agent: User, kb_admin: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN drops every hour")
    client = client_for(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/desk/tickets/{ticket.number}/knowledge/").status_code == 200
        return len(context.captured_queries)

    def add_linked_article(index: int) -> None:
        article = make_article(agent, kb_admin, title=f"VPN drops every hour, case {index}")
        kb.link_ticket(article, ticket=ticket, actor=agent, now=timezone.now())

    add_linked_article(0)
    with_1 = queries()
    for index in range(1, 4):
        add_linked_article(index)
    html = client.get(f"/desk/tickets/{ticket.number}/knowledge/").content.decode()
    assert html.count("case 3") == 2  # suggested and linked
    assert queries() == with_1
