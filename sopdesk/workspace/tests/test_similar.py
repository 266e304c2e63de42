"""Similar past tickets through the search service, and the fragment on the ticket page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.search.indexing import index_pending
from sopdesk.search.service import MAX_QUERY_LENGTH, query_from
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket
from sopdesk.workspace.similar import similar_tickets


def resolve(ticket: Ticket, agent: User) -> None:
    now = timezone.now()
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now)
    actions.change_status(ticket, to_status=Status.IN_PROGRESS, actor=agent, now=now)
    summary = actions.ClosureSummary(problem="p", diagnosis="d", solution="s")
    actions.change_status(ticket, to_status=Status.RESOLVED, actor=agent, now=now, closure=summary)


@pytest.mark.django_db
def test_the_query_is_title_and_description_within_the_search_limit(requester: User) -> None:
    short = factories.make_ticket(requester, title="VPN drops", description="Every  hour,\nsince Monday.")
    long = factories.make_ticket(requester, title="VPN drops", description="keepalive " * 60)

    assert query_from(short.title, short.description) == "VPN drops Every hour, since Monday."
    cut = query_from(long.title, long.description)
    assert len(cut) <= MAX_QUERY_LENGTH
    assert cut.startswith("VPN drops keepalive")
    assert cut.endswith("keepalive")  # cut between words, not inside one


@pytest.mark.django_db
def test_resolved_tickets_come_first_and_the_ticket_itself_never(requester: User, agent: User) -> None:
    current = factories.make_ticket(requester, title="VPN drops every hour", description="打印机 VPN")
    still_open = factories.make_ticket(requester, title="VPN drops every hour again", description="VPN 断开")
    past = factories.make_ticket(requester, title="VPN drops", description="Keep-alive")
    resolve(past, agent)
    factories.make_ticket(requester, title="Monitor flickers", description="Since the update.")
    index_pending()

    found = similar_tickets(agent, current)

    assert [item.number for item in found] == [past.number, still_open.number]
    assert [item.is_past for item in found] == [True, False]


@pytest.mark.django_db
def test_the_fragment_shows_lookalikes_the_viewer_may_see(requester: User, agent: User, second_line: Team) -> None:
    past = factories.make_ticket(requester, title="VPN drops every hour", description="Keep-alive lost.")
    resolve(past, agent)
    elsewhere = factories.make_ticket(requester, title="VPN drops every hour", description="Keep-alive lost.")
    actions.assign_ticket(elsewhere, team=second_line, assignee=None, actor=agent, now=timezone.now())
    assert not Ticket.objects.visible_to(agent).filter(pk=elsewhere.pk).exists()
    unrelated = factories.make_ticket(requester, title="Printer jams", description="Paper stuck in tray 2.")
    current = factories.make_ticket(requester, title="VPN drops again", description="Since Monday.")
    index_pending()
    client = Client()
    client.force_login(agent)

    html = client.get(f"/desk/tickets/{current.number}/similar/").content.decode()

    assert past.number in html
    assert "Resolved" in html
    assert elsewhere.number not in html
    assert unrelated.number not in html
    assert current.number not in html


@pytest.mark.django_db
def test_the_fragment_costs_the_same_queries_for_1_and_5_lookalikes(requester: User, agent: User) -> None:
    current = factories.make_ticket(requester, title="VPN drops every hour", description="Since Monday.")
    client = Client()
    client.force_login(agent)

    def queries() -> int:
        index_pending()
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/desk/tickets/{current.number}/similar/").status_code == 200
        return len(context.captured_queries)

    resolve(factories.make_ticket(requester, title="VPN drops", description="Keep-alive"), agent)
    with_1 = queries()
    for index in range(4):
        resolve(factories.make_ticket(requester, title=f"VPN drops {index}", description="Keep-alive"), agent)
    assert queries() == with_1
