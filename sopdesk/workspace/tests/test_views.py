"""The agent workspace through its real URLs, templates and the ticket actions (Django's test client)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.notifications.models import Notification
from sopdesk.search.indexing import index_pending
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import EventKind, Status
from sopdesk.tickets.models import Ticket, TicketAccessLog, TicketEvent
from sopdesk.workspace import views as workspace_views
from sopdesk.workspace.models import SavedView

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"><script>alert("t")</script>'


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def numbers_on(html: str) -> set[str]:
    return set(re.findall(r'name="tickets" value="([^"]+)"', html))


def take(ticket: Ticket, user: User) -> None:
    actions.assign_ticket(ticket, team=None, assignee=user, actor=user, now=timezone.now())


# Who gets in


def test_anonymous_visitors_go_to_the_login_page(db: None) -> None:
    response = Client().get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_requesters_are_sent_to_their_landing_page_and_staff_land_in_the_workspace(
    requester: User, agent: User
) -> None:
    assert client_for(requester).get("/desk/")["Location"] == "/"
    assert client_for(agent).get("/")["Location"] == "/desk/"


# Queues


def test_my_open_tickets_lists_only_mine_and_open(requester: User, agent: User, team_lead: User) -> None:
    mine = factories.make_ticket(requester, title="Mine")
    take(mine, agent)
    theirs = factories.make_ticket(requester, title="The lead's")
    take(theirs, team_lead)
    unassigned = factories.make_ticket(requester, title="Nobody's")

    html = client_for(agent).get("/desk/queues/mine/").content.decode()
    assert numbers_on(html) == {mine.number}

    html = client_for(agent).get("/desk/queues/unassigned/").content.decode()
    assert numbers_on(html) == {unassigned.number}

    html = client_for(agent).get("/desk/queues/teams/").content.decode()
    assert numbers_on(html) == {mine.number, theirs.number, unassigned.number}


def test_a_queue_never_shows_another_teams_tickets(requester: User, agent: User, engineer: User) -> None:
    ticket = factories.make_ticket(requester)

    for slug in ("mine", "teams", "unassigned", "recent", "all", "pending", "warning", "breached"):
        response = client_for(engineer).get(f"/desk/queues/{slug}/")
        assert response.status_code == 200, slug
        assert ticket.number not in response.content.decode(), slug
    assert ticket.number in client_for(agent).get("/desk/queues/all/").content.decode()


def test_the_counts_fragment_counts_each_queue(requester: User, agent: User) -> None:
    for index in range(3):
        ticket = factories.make_ticket(requester, title=f"T{index}")
        if index == 0:
            take(ticket, agent)

    html = client_for(agent).get("/desk/queues/counts/?active=mine").content.decode()
    counts = dict(re.findall(r'data-count-for="(\w+)">(\d+)', html))
    assert counts["mine"] == "1"
    assert counts["unassigned"] == "2"
    assert counts["teams"] == "3"
    assert counts["all"] == "3"
    assert counts["breached"] == "0"
    assert 'aria-current="page"' in html


def test_a_breached_clock_puts_the_ticket_in_the_breached_queue(requester: User, agent: User) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    late = factories.make_ticket(requester, title="Late", now=long_ago)
    fresh = factories.make_ticket(requester, title="Fresh")

    html = client_for(agent).get("/desk/queues/breached/").content.decode()
    assert late.number in numbers_on(html)
    assert fresh.number not in numbers_on(html)
    assert 'data-state="breached"' in html


def test_an_overdue_clock_asks_why_and_shows_the_answer(requester: User, agent: User, auditor: User) -> None:
    late = factories.make_ticket(requester, title="Late", now=timezone.now() - timedelta(days=30))
    fresh = factories.make_ticket(requester, title="Fresh")
    client = client_for(agent)
    assert 'id="overdue-assignment"' not in client.get(f"/desk/tickets/{fresh.number}/").content.decode()
    page = client.get(f"/desk/tickets/{late.number}/").content.decode()
    assert 'id="overdue-assignment"' in page
    assert "Record why it is overdue" in page

    url = f"/desk/tickets/{late.number}/overdue_reason/"
    refused = client.post(url, {"metric": "assignment", "reason": "bell\x07", "version": late.version})
    assert refused.status_code == 422
    assert "control characters" in refused.content.decode()
    response = client.post(url, {"metric": "assignment", "reason": "<b>Vendor</b> late", "version": late.version})
    assert response.status_code == 302
    page = client.get(f"/desk/tickets/{late.number}/").content.decode()
    reason = page[page.index('id="overdue-assignment"') :]
    assert "&lt;b&gt;Vendor&lt;/b&gt; late" in reason[: reason.index("</div>") + 200]
    assert "Give a newer reason" in reason
    # The timeline has it as an internal entry; an auditor reads it but is offered no form.
    assert "Overdue reason recorded" in page
    audit = client_for(auditor).get(f"/desk/tickets/{late.number}/").content.decode()
    assert "&lt;b&gt;Vendor&lt;/b&gt; late" in audit
    assert "Give a newer reason" not in audit
    assert client_for(auditor).post(url, {"metric": "assignment", "reason": "x"}).status_code == 403


def test_filters_search_and_sorting_narrow_the_queue(requester: User, agent: User) -> None:
    vpn = factories.make_ticket(requester, title="VPN drops every hour", urgency="high")
    printer = factories.make_ticket(requester, title="Printer jams")
    index_pending()  # the search index, which the job after commit fills outside a test transaction
    actions.add_tags(printer, actor=agent, names=["hardware"], now=timezone.now())
    client = client_for(agent)

    assert numbers_on(client.get("/desk/queues/all/?q=vpn").content.decode()) == {vpn.number}
    assert numbers_on(client.get("/desk/queues/all/?tag=hardware").content.decode()) == {printer.number}
    assert numbers_on(client.get(f"/desk/queues/all/?priority={vpn.priority}&status=new").content.decode()) >= {
        vpn.number
    }
    html = client.get("/desk/queues/all/?ordering=created_at").content.decode()
    assert html.index(vpn.number) < html.index(printer.number)
    html = client.get("/desk/queues/all/?ordering=-created_at").content.decode()
    assert html.index(printer.number) < html.index(vpn.number)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=nonsense", "status"),
        ("ordering=password", "ordering"),
        ("cursor=not-a-cursor", "cursor"),
        ("created_after=yesterday", "created_after"),
        ("organization=-3", "organization"),
        ("q=%00", "q"),
    ],
)
def test_bad_filters_answer_400_with_the_field_named(agent: User, query: str, field: str) -> None:
    response = client_for(agent).get(f"/desk/queues/all/?{query}")

    assert response.status_code == 400
    assert f"<strong>{field}</strong>" in response.content.decode()


def test_an_unknown_queue_is_404(agent: User) -> None:
    assert client_for(agent).get("/desk/queues/nope/").status_code == 404


def test_pages_follow_the_cursor_without_repeating_a_ticket(requester: User, agent: User) -> None:
    from sopdesk.workspace import views

    created = [factories.make_ticket(requester, title=f"T{index}").number for index in range(5)]
    seen: list[str] = []
    client = client_for(agent)
    url = "/desk/queues/all/"
    original = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        while url:
            html = client.get(url).content.decode()
            seen += sorted(numbers_on(html), reverse=True)
            match = re.search(r'href="\?([^"]*cursor=[^"]*)" rel="next"', html)
            url = f"/desk/queues/all/?{match.group(1).replace('&amp;', '&')}" if match else ""
    finally:
        views.PAGE_SIZE = original
    assert seen == sorted(created, reverse=True)


def test_a_hostile_title_is_shown_as_text(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title=HOSTILE)

    for url in ("/desk/queues/all/", f"/desk/tickets/{ticket.number}/"):
        html = client_for(agent).get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert" in html


def test_the_queue_page_costs_the_same_queries_for_3_and_30_rows(requester: User, agent: User) -> None:
    client = client_for(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/desk/queues/all/").status_code == 200
        return len(context.captured_queries)

    for index in range(3):
        factories.make_ticket(requester, title=f"T{index}")
    with_3 = queries()
    for index in range(27):
        factories.make_ticket(requester, title=f"U{index}")
    assert queries() == with_3


def test_the_counts_cost_the_same_queries_for_3_and_30_tickets(requester: User, agent: User) -> None:
    client = client_for(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/desk/queues/counts/").status_code == 200
        return len(context.captured_queries)

    for index in range(3):
        factories.make_ticket(requester, title=f"T{index}")
    with_3 = queries()
    for index in range(27):
        factories.make_ticket(requester, title=f"U{index}")
    assert queries() == with_3


# Bulk actions


def test_bulk_take_reports_each_refused_row_and_applies_the_others(requester: User, agent: User) -> None:
    first = factories.make_ticket(requester, title="First")
    second = factories.make_ticket(requester, title="Second")
    done = factories.make_ticket(requester, title="Done")
    take(done, agent)
    for status in (Status.IN_PROGRESS,):
        actions.change_status(done, to_status=status, actor=agent, now=timezone.now())
    actions.change_status(
        done,
        to_status=Status.RESOLVED,
        actor=agent,
        now=timezone.now(),
        closure=actions.ClosureSummary(problem="p", diagnosis="d", solution="s"),
    )

    response = client_for(agent).post(
        "/desk/bulk/",
        {
            "operation": "take",
            "tickets": [first.number, second.number, done.number, "TS-0000-999999"],
            "next": "/desk/queues/all/",
        },
        follow=True,
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/desk/queues/all/"
    assert "Done for 2 ticket(s)." in html
    assert f"{done.number}: Resolved and closed tickets cannot be reassigned." in html
    assert "TS-0000-999999: No such ticket." in html
    assert Ticket.objects.filter(assignee=agent).count() == 3  # the two taken and the one resolved before


def test_bulk_tagging_keeps_existing_tags_and_refuses_a_repeat(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    actions.add_tags(ticket, actor=agent, names=["vpn"], now=timezone.now())
    client = client_for(agent)

    client.post("/desk/bulk/", {"operation": "tag", "tag": "urgent-fix", "tickets": [ticket.number]})
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["urgent-fix", "vpn"]

    html = client.post(
        "/desk/bulk/", {"operation": "tag", "tag": "vpn", "tickets": [ticket.number]}, follow=True
    ).content.decode()
    assert "The ticket has this tag already." in html


def test_bulk_without_the_needed_input_changes_nothing(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)

    html = (
        client_for(agent)
        .post("/desk/bulk/", {"operation": "assign", "tickets": [ticket.number]}, follow=True)
        .content.decode()
    )

    assert "Choose whom to assign to." in html
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_bulk_cannot_touch_another_teams_ticket(requester: User, engineer: User) -> None:
    ticket = factories.make_ticket(requester)

    html = (
        client_for(engineer)
        .post("/desk/bulk/", {"operation": "take", "tickets": [ticket.number]}, follow=True)
        .content.decode()
    )

    assert f"{ticket.number}: No such ticket." in html
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


# The ticket page


def test_the_ticket_page_shows_the_ticket_and_logs_the_view(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title="VPN drops", description="Every hour on the hour.")
    actions.add_comment(ticket, actor=agent, body="Looking into it", is_internal=False, now=timezone.now())
    actions.add_comment(ticket, actor=agent, body="Checked the concentrator", is_internal=True, now=timezone.now())

    response = client_for(agent).get(f"/desk/tickets/{ticket.number}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "VPN drops" in html
    assert "Every hour on the hour." in html
    assert "Looking into it" in html
    assert 'class="timeline-entry timeline-note"' in html
    assert "Checked the concentrator" in html
    assert TicketAccessLog.objects.filter(ticket=ticket, user=agent, via="web").count() == 1
    assert 'id="access-log"' not in html  # agents do not audit their colleagues


def test_a_long_ticket_shows_its_newest_entries_and_says_so(
    requester: User, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = factories.make_ticket(requester, title="Long story")
    for n in range(4):
        actions.add_comment(ticket, actor=agent, body=f"Step number {n}", is_internal=n % 2 == 0, now=timezone.now())
    monkeypatch.setattr(workspace_views, "TIMELINE_LIMIT", 2)

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert ("Step number 3" in html, "Step number 2" in html, "Step number 1" in html) == (True, True, False)
    assert "Only the newest 2 entries are shown." in html


def test_leads_managers_and_auditors_see_who_read_the_ticket(
    requester: User, agent: User, team_lead: User, manager: User, auditor: User, second_line: Team, service_desk: Team
) -> None:
    ticket = factories.make_ticket(requester)
    assert ticket.team == service_desk
    client_for(agent).get(f"/desk/tickets/{ticket.number}/")

    for reader in (team_lead, manager, auditor):
        html = client_for(reader).get(f"/desk/tickets/{ticket.number}/").content.decode()
        log = html[html.index('id="access-log"') :]
        assert f"{agent} · " in log, reader.username
    # Leading another team is not enough: a member of this one sees the ticket but not its readers.
    other_lead = factories.make_user("other-lead", role=Role.TEAM_LEAD, teams=[service_desk], lead_of=[second_line])
    response = client_for(other_lead).get(f"/desk/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert 'id="access-log"' not in response.content.decode()


def test_another_teams_agent_gets_404_on_the_page_and_its_actions(requester: User, engineer: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(engineer)

    assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 404
    assert client.get(f"/desk/tickets/{ticket.number}/updates/").status_code == 404
    assert client.post(f"/desk/tickets/{ticket.number}/comment/", {"body": "hi"}).status_code == 404
    assert client.post(f"/desk/tickets/{ticket.number}/take/", {}).status_code == 404
    assert not TicketEvent.objects.filter(ticket=ticket, actor=engineer).exists()


def test_an_auditor_reads_everything_and_can_change_nothing(requester: User, auditor: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(auditor)

    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    assert "You can read this ticket but not change it." in html
    assert 'name="body"' not in html

    for action, data in (("comment", {"body": "hi"}), ("take", {}), ("status", {"to_status": "in_progress"})):
        response = client.post(f"/desk/tickets/{ticket.number}/{action}/", data)
        assert response.status_code == 403, action
    response = client.post("/desk/bulk/", {"operation": "take", "tickets": [ticket.number]}, follow=True)
    assert "You may read this ticket but not change it." in response.content.decode()
    assert TicketEvent.objects.filter(ticket=ticket).exclude(actor=requester).filter(actor__isnull=False).count() == 0


def test_take_reply_note_and_resolve_through_the_page(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)
    url = f"/desk/tickets/{ticket.number}"

    assert client.post(f"{url}/take/", {"version": ticket.version}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == Status.ASSIGNED

    client.post(
        f"{url}/comment/", {"body": "On it", "internal": "", "then_status": "in_progress", "version": ticket.version}
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    reply = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PUBLIC_REPLY)
    assert reply.body == "On it"
    assert not reply.is_internal

    client.post(f"{url}/comment/", {"body": "Driver issue", "internal": "on", "version": ticket.version})
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.INTERNAL_NOTE).is_internal

    ticket.refresh_from_db()
    response = client.post(f"{url}/status/", {"to_status": "resolved", "version": ticket.version})
    assert response.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS

    response = client.post(
        f"{url}/status/",
        {
            "to_status": "resolved",
            "version": ticket.version,
            "closure_problem": "Blank pages",
            "closure_diagnosis": "Old driver",
            "closure_solution": "Updated the driver",
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.closure_solution == "Updated the driver"
    page = client.get(f"{url}/").content.decode()
    closure = page[page.index('id="closure-summary"') : page.index('id="timeline-heading"')]
    assert "Blank pages" in closure
    assert "Updated the driver" in closure


def test_a_stale_edit_is_refused_with_412_and_keeps_what_was_typed(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    stale_version = ticket.version
    take(ticket, agent)

    response = client_for(agent).post(
        f"/desk/tickets/{ticket.number}/comment/", {"body": "My careful answer", "version": stale_version}
    )

    html = response.content.decode()
    assert response.status_code == 412
    assert 'id="stale-banner"' in html
    assert "My careful answer" in html
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY).exists()


def test_an_empty_reply_is_refused_with_the_field_named(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)

    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/comment/", {"body": "   "})

    assert response.status_code == 422
    assert "Write a message or attach a file." in response.content.decode()
    assert "is-invalid" in response.content.decode()


def test_a_priority_override_needs_a_reason(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    assert client.post(f"/desk/tickets/{ticket.number}/priority/", {"priority": "P1"}).status_code == 400
    response = client.post(f"/desk/tickets/{ticket.number}/priority/", {"priority": "P1", "reason": "CEO's laptop"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "P1"
    assert ticket.priority_override_reason == "CEO's laptop"


def test_an_unknown_action_is_404_and_get_is_not_allowed(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    assert client.post(f"/desk/tickets/{ticket.number}/delete/", {}).status_code == 404
    assert client.get(f"/desk/tickets/{ticket.number}/take/").status_code == 405


def test_updates_bring_new_events_and_say_when_the_ticket_changed(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    last = TicketEvent.objects.filter(ticket=ticket).order_by("-pk").first()
    assert last is not None
    client = client_for(agent)

    html = client.get(
        f"/desk/tickets/{ticket.number}/updates/?after={last.pk}&version={ticket.version}"
    ).content.decode()
    assert "timeline-entry" not in html
    assert "Reload" not in html

    actions.add_comment(ticket, actor=agent, body="Someone else's reply", is_internal=False, now=timezone.now())
    html = client.get(
        f"/desk/tickets/{ticket.number}/updates/?after={last.pk}&version={ticket.version - 1}"
    ).content.decode()
    assert "Someone else&#x27;s reply" in html
    assert "This ticket was changed since you opened it." in html

    assert client.get(f"/desk/tickets/{ticket.number}/updates/?after=x").status_code == 400


def test_the_ticket_page_costs_the_same_queries_for_3_and_30_events(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/desk/tickets/{ticket.number}/").status_code == 200
        return len(context.captured_queries)

    take(ticket, agent)
    with_few = queries()
    for index in range(27):
        actions.add_comment(ticket, actor=agent, body=f"note {index}", is_internal=index % 2 == 0, now=timezone.now())
    assert TicketEvent.objects.filter(ticket=ticket).count() >= 30
    assert queries() == with_few


def test_the_hand_over_list_offers_the_teams_members(
    requester: User, agent: User, team_lead: User, service_desk: Team
) -> None:
    ticket = factories.make_ticket(requester)

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert '<option value="lead"' in html
    assert '<option value="agent"' in html
    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/assign/", {"assignee": "lead"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == team_lead


# Saved views


def test_an_agent_saves_a_personal_view_with_only_known_filters(requester: User, agent: User) -> None:
    client = client_for(agent)

    response = client.post(
        "/desk/views/",
        {"name": "My P1s", "queue": "teams", "query": "priority=P1&ordering=-created_at&evil=1&cursor=abc"},
    )

    view = SavedView.objects.get(owner=agent)
    assert view.query == "priority=P1&ordering=-created_at"
    assert response["Location"] == "/desk/queues/teams/?priority=P1&ordering=-created_at"
    assert "My P1s" in client.get("/desk/queues/mine/").content.decode()


def test_a_lead_shares_a_view_with_the_team_and_members_see_it_but_others_do_not(
    agent: User, team_lead: User, engineer: User, service_desk: Team
) -> None:
    client_for(team_lead).post(
        "/desk/views/", {"name": "Desk VIPs", "queue": "teams", "query": "customer_level=vip", "share": "service-desk"}
    )

    assert SavedView.objects.get(name="Desk VIPs").shared_with == service_desk
    assert "Desk VIPs" in client_for(agent).get("/desk/queues/mine/").content.decode()
    assert "Desk VIPs" not in client_for(engineer).get("/desk/queues/mine/").content.decode()


def test_only_a_lead_may_share_and_only_the_owner_may_remove(agent: User, team_lead: User) -> None:
    client_for(agent).post("/desk/views/", {"name": "Mine", "queue": "mine", "share": "service-desk"})
    assert not SavedView.objects.exists()

    client_for(team_lead).post("/desk/views/", {"name": "Shared", "queue": "teams", "share": "service-desk"})
    view = SavedView.objects.get()
    assert client_for(agent).post(f"/desk/views/{view.pk}/remove/").status_code == 404
    assert client_for(team_lead).post(f"/desk/views/{view.pk}/remove/").status_code == 302
    view.refresh_from_db()
    assert not view.is_active
    assert "Shared" not in client_for(agent).get("/desk/queues/mine/").content.decode()


@pytest.mark.parametrize(("name", "queue"), [("", "mine"), ("x" * 61, "mine"), ("two\nlines", "mine"), ("ok", "nope")])
def test_a_bad_view_is_refused_with_a_message(agent: User, name: str, queue: str) -> None:
    response = client_for(agent).post("/desk/views/", {"name": name, "queue": queue}, follow=True)

    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert not SavedView.objects.exists()


# Notifications


def test_the_notification_centre_lists_mine_and_opening_one_marks_it_read(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    lead = factories.make_user("lead2", role=Role.TEAM_LEAD, lead_of=[Team.objects.get(code="service-desk")])
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=lead, now=timezone.now())
    notification = Notification.objects.get(recipient=agent)
    client = client_for(agent)

    html = client.get("/desk/notifications/?unread=1").content.decode()
    assert notification.subject in html
    counts = client.get("/desk/queues/counts/").content.decode()
    assert re.search(r'id="unread-count"[^>]*>1<', counts)

    response = client.post(f"/desk/notifications/{notification.pk}/open/")
    assert response["Location"] == f"/desk/tickets/{ticket.number}/"
    notification.refresh_from_db()
    assert notification.is_read
    assert notification.subject not in client.get("/desk/notifications/?unread=1").content.decode()


def test_someone_elses_notification_is_404(requester: User, agent: User, team_lead: User) -> None:
    ticket = factories.make_ticket(requester)
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=timezone.now())
    notification = Notification.objects.get(recipient=agent)

    assert client_for(team_lead).post(f"/desk/notifications/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_mark_all_read(requester: User, agent: User, team_lead: User) -> None:
    for index in range(2):
        ticket = factories.make_ticket(requester, title=f"T{index}")
        actions.assign_ticket(ticket, team=None, assignee=agent, actor=team_lead, now=timezone.now())

    response = client_for(agent).post("/desk/notifications/read-all/", follow=True)

    assert "2 notification(s) marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()


# Editing the details


def test_editing_details_records_only_what_changed(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title="Printer", device_model="HP M404")
    client = client_for(agent)
    html = client.get(f"/desk/tickets/{ticket.number}/edit/").content.decode()
    assert 'value="HP M404"' in html

    # What the form posts back: every field as it was, with the two the agent changed.
    data = {name: getattr(ticket, name) or "" for name in actions.DETAIL_FIELDS}
    data.update(version=ticket.version, title="Printer on floor 3", urgency="high")
    response = client.post(f"/desk/tickets/{ticket.number}/edit/", data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.title == "Printer on floor 3"
    assert ticket.urgency == "high"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.DETAILS_CHANGED)
    assert set(event.data["changes"]) == {"title", "urgency"}


def test_a_stale_details_form_is_refused_and_keeps_the_input(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title="Printer")
    old_version = ticket.version
    take(ticket, agent)
    data = {
        "version": old_version,
        "title": "My better title",
        "channel": ticket.channel,
        "ticket_type": ticket.ticket_type,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "difficulty": ticket.difficulty,
    }

    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/edit/", data)

    assert response.status_code == 412
    assert "My better title" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.title == "Printer"


def test_bad_details_name_the_field(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    data = {"version": ticket.version, "title": "  ", "channel": "carrier-pigeon", "contact_email": "not-an-address"}

    response = client_for(agent).post(f"/desk/tickets/{ticket.number}/edit/", data)

    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("invalid-feedback") >= 3


def test_details_are_refused_to_auditors_and_strangers(requester: User, auditor: User, engineer: User) -> None:
    ticket = factories.make_ticket(requester)

    assert client_for(auditor).get(f"/desk/tickets/{ticket.number}/edit/").status_code == 403
    assert client_for(auditor).post(f"/desk/tickets/{ticket.number}/edit/", {"title": "x"}).status_code == 403
    assert client_for(engineer).get(f"/desk/tickets/{ticket.number}/edit/").status_code == 404


# Attachments


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_note_with_a_screenshot_and_a_log_shows_both_and_previews_the_image(requester: User, agent: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = factories.make_ticket(requester)
    client = client_for(agent)
    files = [
        SimpleUploadedFile("screenshot.png", PNG, content_type="image/png"),
        SimpleUploadedFile("error.log", b"timeout after 30s\n", content_type="text/plain"),
    ]

    response = client.post(
        f"/desk/tickets/{ticket.number}/comment/", {"body": "See attached", "internal": "on", "attachments": files}
    )

    assert response.status_code == 302
    stored = list(ticket.attachments.order_by("original_name"))
    assert [item.original_name for item in stored] == ["error.log", "screenshot.png"]
    assert all(item.is_internal for item in stored)
    html = client.get(f"/desk/tickets/{ticket.number}/").content.decode()
    image = stored[1]
    assert f'src="/desk/tickets/{ticket.number}/attachments/{image.pk}/?inline=1"' in html
    assert "error.log" in html

    preview = client.get(f"/desk/tickets/{ticket.number}/attachments/{image.pk}/?inline=1")
    assert preview["Content-Disposition"].startswith("inline")
    log = client.get(f"/desk/tickets/{ticket.number}/attachments/{stored[0].pk}/?inline=1")
    assert log["Content-Disposition"].startswith("attachment")  # only checked raster images are shown inline
    assert log["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert TicketAccessLog.objects.filter(ticket=ticket, attachment=image).exists()


def test_a_bad_file_refuses_the_whole_message(requester: User, agent: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = factories.make_ticket(requester)
    files = [
        SimpleUploadedFile("ok.txt", b"fine", content_type="text/plain"),
        SimpleUploadedFile("evil.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml"),
    ]

    response = client_for(agent).post(
        f"/desk/tickets/{ticket.number}/comment/", {"body": "Two files", "attachments": files}
    )

    assert response.status_code == 422
    assert "evil.svg" in response.content.decode()
    assert not ticket.attachments.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY).exists()


def test_a_requester_facing_reply_never_shows_another_teams_attachment(
    requester: User, engineer: User, agent: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = factories.make_ticket(requester)
    client_for(agent).post(
        f"/desk/tickets/{ticket.number}/comment/",
        {"body": "", "attachments": [SimpleUploadedFile("a.txt", b"x", content_type="text/plain")]},
    )
    attachment = ticket.attachments.get()

    assert client_for(engineer).get(f"/desk/tickets/{ticket.number}/attachments/{attachment.pk}/").status_code == 404


# Casework and canned responses


def test_casework_records_are_written_through_the_page(requester: User, agent: User) -> None:
    from sopdesk.casework.models import DiagnosisStep, RemoteAssistanceAuthorization, SolutionPlan, VerificationResult

    ticket = factories.make_ticket(requester)
    take(ticket, agent)
    client = client_for(agent)
    url = f"/desk/tickets/{ticket.number}"
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    assert client.post(f"{url}/diagnosis/", {"checked": "Printer queue", "result": "3 stuck jobs"}).status_code == 302
    response = client.post(f"{url}/remote/", {"scope": "Clear the spooler", "method": "RDP", "ends_at": later})
    assert response.status_code == 302
    response = client.post(f"{url}/plan/", {"steps": "Restart spooler", "rollback_plan": "None", "scheduled_at": later})
    assert response.status_code == 302
    assert client.post(f"{url}/verification/", {"verified": "Test page", "outcome": "passed"}).status_code == 302

    assert DiagnosisStep.objects.get(ticket=ticket).result == "3 stuck jobs"
    assert RemoteAssistanceAuthorization.objects.get(ticket=ticket).method == "RDP"
    assert SolutionPlan.objects.get(ticket=ticket).steps == "Restart spooler"
    assert VerificationResult.objects.get(ticket=ticket).outcome == "passed"
    html = client.get(f"{url}/").content.decode()
    assert "Clear the spooler" in html
    assert "Restart spooler" in html
    # The timeline entries carry the facts of their record, in the viewer's time zone.
    timeline = html[html.index('id="timeline"') : html.index('id="timeline-poller"')]
    when = later.replace("T", " ")
    assert f"RDP, until {when}" in timeline
    assert f"Version 1, scheduled for {when}" in timeline
    assert "Passed" in timeline
    assert 'id="closure-summary"' not in html


def test_bad_casework_input_names_the_field_and_writes_nothing(requester: User, agent: User) -> None:
    from sopdesk.casework.models import RemoteAssistanceAuthorization

    ticket = factories.make_ticket(requester)
    client = client_for(agent)

    response = client.post(f"/desk/tickets/{ticket.number}/remote/", {"scope": "x", "method": "RDP", "ends_at": "soon"})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    long_ago = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/desk/tickets/{ticket.number}/remote/", {"scope": "x", "method": "RDP", "ends_at": long_ago}
    )
    assert response.status_code == 422
    assert not RemoteAssistanceAuthorization.objects.exists()


def test_an_auditor_cannot_record_casework(requester: User, auditor: User) -> None:
    from sopdesk.casework.models import DiagnosisStep

    ticket = factories.make_ticket(requester)

    response = client_for(auditor).post(f"/desk/tickets/{ticket.number}/diagnosis/", {"checked": "x", "result": "y"})

    assert response.status_code == 403
    assert not DiagnosisStep.objects.exists()


def test_canned_responses_are_offered_filled_in_for_the_ticket(requester: User, agent: User) -> None:
    from sopdesk.casework.actions import create_canned_response

    ticket = factories.make_ticket(requester, title="VPN drops")
    create_canned_response(
        actor=agent,
        title="Greeting",
        body="Hello {requester_name}, about {ticket_number}: <b>on it</b>.",
        language="en",
        now=timezone.now(),
    )

    html = client_for(agent).get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert 'id="canned-select"' in html
    assert f"about {ticket.number}" in html
    assert "&lt;b&gt;on it&lt;/b&gt;" in html
