"""My requests and the request page, through the real URLs, templates and actions (Django's test client)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sopdesk.accounts.models import User
from sopdesk.casework import actions as casework
from sopdesk.casework.choices import AuthorizationState, PlanState
from sopdesk.casework.models import RemoteAssistanceAuthorization, SolutionPlan
from sopdesk.notifications.models import OutboxMessage
from sopdesk.portal import requests as requests_module
from sopdesk.sla.choices import ClockState, Metric
from sopdesk.sla.queries import sla_snapshot
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import EventKind, Priority, Status
from sopdesk.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"><script>alert("t")</script>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SUMMARY = actions.ClosureSummary(problem="Printer drum", diagnosis="Worn drum", solution="Replaced the drum")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(ticket: Ticket, client: Client) -> str:
    response = client.get(f"/portal/requests/{ticket.number}/")
    assert response.status_code == 200
    return response.content.decode()


def numbers_on(html: str) -> list[str]:
    return re.findall(r'href="/portal/requests/([^/"]+)/"', html)


def move(ticket: Ticket, agent: User, *statuses: Status) -> None:
    now = timezone.now()
    if ticket.assignee_id is None:
        actions.assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now)
    for status in statuses:
        closure = SUMMARY if status in (Status.RESOLVED, Status.PENDING_CONFIRMATION) else None
        actions.change_status(ticket, to_status=status, actor=agent, now=now, closure=closure)


def ask_remote(ticket: Ticket, agent: User, *, hours: int = 4) -> RemoteAssistanceAuthorization:
    now = timezone.now()
    return casework.request_remote_assistance(
        ticket,
        actor=agent,
        scope="Look at the printer driver",
        method="Remote desktop",
        ends_at=now + timedelta(hours=hours),
        now=now,
    )


def propose(ticket: Ticket, agent: User) -> SolutionPlan:
    return casework.propose_solution_plan(
        ticket, actor=agent, steps="Replace the drum", rollback_plan="Put the old drum back", now=timezone.now()
    )


def resolution_clock(ticket: Ticket) -> str:
    views = sla_snapshot(ticket, now=timezone.now()).metrics
    return next(view.state for view in views if view.metric == Metric.RESOLUTION)


@pytest.fixture
def colleague(requester: User) -> User:
    """A requester of the same organisation, which shares its tickets."""
    organization = requester.organization
    assert organization is not None
    organization.shares_tickets = True
    organization.save(update_fields=["shares_tickets"])
    return factories.make_user("colleague", organization=organization)


def test_a_long_request_shows_its_newest_entries_and_says_so(
    requester: User, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = factories.make_ticket(requester, title="Long story")
    for n in range(4):
        actions.add_comment(ticket, actor=agent, body=f"Answer number {n}", is_internal=False, now=timezone.now())
    monkeypatch.setattr(requests_module, "TIMELINE_LIMIT", 2)

    html = client_for(requester).get(f"/portal/requests/{ticket.number}/").content.decode()

    assert "Answer number 3" in html
    assert "Answer number 2" in html
    assert "Answer number 1" not in html
    assert "Only the newest 2 entries are shown." in html


# My requests


def test_the_list_shows_my_requests_newest_update_first_in_plain_words(requester: User, agent: User) -> None:
    older = factories.make_ticket(requester, title="Older")
    waiting = factories.make_ticket(requester, title="Waiting")
    newer = factories.make_ticket(requester, title="Newer")
    move(waiting, agent, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)

    html = client_for(requester).get("/portal/").content.decode()

    assert numbers_on(html) == [waiting.number, newer.number, older.number]
    assert "Waiting for you" in html
    assert "Received" in html
    assert "Pending customer" not in html  # staff words stay in the workspace


@pytest.mark.parametrize(
    ("statuses", "words"),
    [
        ((Status.IN_PROGRESS,), "Being worked on"),
        ((Status.IN_PROGRESS, Status.PENDING_CONFIRMATION), "Solved — please confirm"),
        ((Status.RESOLVED,), "Solved — please confirm"),
    ],
)
def test_each_status_reads_in_plain_words(
    requester: User, agent: User, statuses: tuple[Status, ...], words: str
) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, *statuses)

    assert words in client_for(requester).get("/portal/").content.decode()
    assert words in page_of(ticket, client_for(requester))


def test_the_open_and_closed_filter(requester: User, agent: User) -> None:
    open_ticket = factories.make_ticket(requester, title="Still open")
    closed = factories.make_ticket(requester, title="Done")
    move(closed, agent, Status.RESOLVED)
    actions.change_status(closed, to_status=Status.CLOSED, actor=requester, now=timezone.now())
    client = client_for(requester)

    assert numbers_on(client.get("/portal/?state=open").content.decode()) == [open_ticket.number]
    assert numbers_on(client.get("/portal/?state=closed").content.decode()) == [closed.number]
    assert set(numbers_on(client.get("/portal/").content.decode())) == {open_ticket.number, closed.number}


def test_bad_list_parameters_answer_400(requester: User) -> None:
    client = client_for(requester)

    assert client.get("/portal/?state=everything").status_code == 400
    response = client.get("/portal/?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "This cursor is not valid" in response.content.decode()


def test_pages_follow_the_cursor_without_repeating_a_request(requester: User) -> None:
    tickets = [factories.make_ticket(requester, title=f"T{index}") for index in range(25)]
    client = client_for(requester)

    first = client.get("/portal/").content.decode()
    cursor = re.search(r'cursor=([^"&]+)"', first)
    assert cursor is not None
    second = client.get(f"/portal/?state=&cursor={cursor.group(1)}").content.decode()

    seen = numbers_on(first) + numbers_on(second)
    assert sorted(seen) == sorted(ticket.number for ticket in tickets)


def test_the_organisation_toggle_shows_colleagues_requests_only_where_the_organisation_shares(
    requester: User, colleague: User, outsider: User
) -> None:
    mine = factories.make_ticket(requester, title="Mine")
    theirs = factories.make_ticket(colleague, title="A colleague's")
    foreign = factories.make_ticket(outsider, title="Another organisation's")
    client = client_for(requester)

    assert numbers_on(client.get("/portal/").content.decode()) == [mine.number]
    shared = client.get("/portal/?scope=organization").content.decode()
    assert set(numbers_on(shared)) == {mine.number, theirs.number}
    assert foreign.number not in shared

    organization = requester.organization
    assert organization is not None
    organization.shares_tickets = False
    organization.save(update_fields=["shares_tickets"])
    unshared = client.get("/portal/?scope=organization").content.decode()
    assert numbers_on(unshared) == [mine.number]
    assert "My organisation&#x27;s" not in unshared
    assert client.get(f"/portal/requests/{theirs.number}/").status_code == 404


def test_the_list_costs_the_same_queries_for_3_and_30_requests(requester: User) -> None:
    client = client_for(requester)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/portal/").status_code == 200
        return len(context.captured_queries)

    for index in range(3):
        factories.make_ticket(requester, title=f"T{index}")
    with_3 = queries()
    for index in range(27):
        factories.make_ticket(requester, title=f"U{index}")
    assert queries() == with_3


# The request page


def test_the_page_shows_the_public_timeline_and_never_internal_notes(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    now = timezone.now()
    actions.add_comment(ticket, actor=agent, body="Which floor exactly?", is_internal=False, now=now)
    actions.add_comment(ticket, actor=agent, body="SECRET internal remark", is_internal=True, now=now)
    actions.override_priority(ticket, priority=Priority.P1, reason="VIP escalation", actor=agent, now=now)
    actions.add_attachment(
        ticket,
        actor=agent,
        upload=SimpleUploadedFile("internal.png", PNG, content_type="image/png"),
        is_internal=True,
        now=now,
    )

    html = page_of(ticket, client_for(requester))

    assert ticket.number in html
    assert "Which floor exactly?" in html
    assert "Support team" in html
    assert "SECRET internal remark" not in html
    assert "VIP escalation" not in html
    assert "internal.png" not in html
    assert agent.username not in html  # who handles it is internal routing detail


def test_the_timeline_leaves_out_status_changes_that_read_the_same_to_the_requester(
    requester: User, agent: User
) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)  # new → assigned → in progress → waiting

    html = page_of(ticket, client_for(requester))

    timeline = html[html.index('id="timeline"') :]
    assert timeline.count("Now: Being worked on") == 1
    assert timeline.count("Now: Waiting for you") == 1


def test_another_requester_gets_404_for_the_page_files_and_every_action(
    requester: User, agent: User, outsider: User
) -> None:
    ticket = factories.make_ticket(requester)
    attachment = actions.add_attachment(
        ticket,
        actor=requester,
        upload=SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        is_internal=False,
        now=timezone.now(),
    )
    authorization = ask_remote(ticket, agent)
    plan = propose(ticket, agent)
    client = client_for(outsider)
    base = f"/portal/requests/{ticket.number}"

    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"{base}/reply/", {"body": "hello"}).status_code == 404
    assert client.post(f"{base}/resolution/", {"outcome": "solved"}).status_code == 404
    assert (
        client.post(f"{base}/authorizations/{authorization.pk}/grant/", {"ends_at": "2030-01-01T10:00"}).status_code
        == 404
    )
    assert client.post(f"{base}/plans/{plan.pk}/confirm/").status_code == 404
    assert TicketEvent.objects.filter(ticket=ticket, actor=outsider).count() == 0


def test_the_requester_downloads_public_files_but_not_internal_ones(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    now = timezone.now()
    public = actions.add_attachment(
        ticket,
        actor=agent,
        upload=SimpleUploadedFile("guide.txt", b"steps\n", content_type="text/plain"),
        is_internal=False,
        now=now,
    )
    internal = actions.add_attachment(
        ticket,
        actor=agent,
        upload=SimpleUploadedFile("notes.txt", b"secret\n", content_type="text/plain"),
        is_internal=True,
        now=now,
    )
    client = client_for(requester)

    assert f"/portal/requests/{ticket.number}/attachments/{public.pk}/" in page_of(ticket, client)
    response = client.get(f"/portal/requests/{ticket.number}/attachments/{public.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(f"/portal/requests/{ticket.number}/attachments/{internal.pk}/").status_code == 404


def test_a_hostile_title_and_reply_render_as_text(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester, title=HOSTILE)
    actions.add_comment(ticket, actor=agent, body=HOSTILE, is_internal=False, now=timezone.now())
    client = client_for(requester)

    for html in (page_of(ticket, client), client.get("/portal/").content.decode()):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_a_reply_with_files_ends_the_wait_and_resumes_the_clock(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)
    client = client_for(requester)
    html = page_of(ticket, client)
    assert "We are waiting for your answer." in html
    assert resolution_clock(ticket) == ClockState.PAUSED

    response = client.post(
        f"/portal/requests/{ticket.number}/reply/",
        {
            "version": ticket.version,
            "body": "It is floor 3, room 301.",
            "attachments": [SimpleUploadedFile("printer.png", PNG, content_type="image/png")],
        },
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert resolution_clock(ticket) == ClockState.OK
    html = page_of(ticket, client)
    assert "It is floor 3, room 301." in html
    assert "printer.png" in html
    assert "We are waiting for your answer." not in html


def test_the_teams_newest_question_is_the_card_at_the_top_while_they_wait_for_the_requester(
    requester: User, agent: User, colleague: User
) -> None:
    ticket = factories.make_ticket(requester)
    now = timezone.now()
    actions.add_comment(ticket, actor=agent, body="Is it plugged in?", is_internal=False, now=now)
    actions.add_comment(ticket, actor=agent, body="SECRET note", is_internal=True, now=now)
    actions.add_comment(ticket, actor=agent, body="Which room <b>exactly</b>?", is_internal=False, now=now)
    move(ticket, agent, Status.IN_PROGRESS, Status.PENDING_CUSTOMER)
    client = client_for(requester)

    html = page_of(ticket, client)
    card = html[html.index('id="question"') : html.index("</section>", html.index('id="question"'))]
    assert "The support team needs your answer" in card
    assert "Which room &lt;b&gt;exactly&lt;/b&gt;?" in card
    assert "Is it plugged in?" not in card
    assert "SECRET" not in html
    assert html.index('id="question"') < html.index('id="timeline"')
    assert 'id="question"' not in page_of(ticket, client_for(colleague))  # reads, may not answer

    client.post(f"/portal/requests/{ticket.number}/reply/", {"version": ticket.version, "body": "Room 301."})
    assert 'id="question"' not in page_of(ticket, client)


def test_an_empty_reply_or_a_bad_file_is_refused_with_the_field_named(requester: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(requester)

    empty = client.post(f"/portal/requests/{ticket.number}/reply/", {"version": ticket.version, "body": "  "})
    assert empty.status_code == 422
    assert "Write a message or attach a file." in empty.content.decode()

    bad = client.post(
        f"/portal/requests/{ticket.number}/reply/",
        {
            "version": ticket.version,
            "body": "See the file",
            "attachments": [SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")],
        },
    )
    assert bad.status_code == 422
    assert "run.exe" in bad.content.decode()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY).exists()


def test_a_stale_reply_is_refused_and_the_page_says_so(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    version = ticket.version
    actions.add_comment(ticket, actor=agent, body="Meanwhile", is_internal=False, now=timezone.now())

    response = client_for(requester).post(
        f"/portal/requests/{ticket.number}/reply/", {"version": version, "body": "My late answer"}
    )

    assert response.status_code == 412
    html = response.content.decode()
    assert 'id="stale-banner"' in html
    assert "My late answer" in html  # what was typed is kept
    assert not TicketEvent.objects.filter(ticket=ticket, body="My late answer").exists()


def test_a_colleague_sees_a_shared_request_but_cannot_reply_or_decide(
    requester: User, agent: User, colleague: User
) -> None:
    ticket = factories.make_ticket(requester)
    authorization = ask_remote(ticket, agent)
    client = client_for(colleague)

    html = page_of(ticket, client)
    assert 'id="reply"' not in html
    assert f'id="authorization-{authorization.pk}"' not in html
    response = client.post(f"/portal/requests/{ticket.number}/reply/", {"body": "me too"})
    assert response.status_code == 403
    assert client.post(f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/refuse/").status_code == 403


def test_the_requester_grants_remote_assistance_for_a_shorter_time(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    authorization = ask_remote(ticket, agent, hours=4)
    client = client_for(requester)
    html = page_of(ticket, client)
    assert "Look at the printer driver" in html
    assert "May we connect to your computer?" in html

    until = timezone.localtime(authorization.ends_at - timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client.post(
        f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/grant/",
        {"ends_at": until.strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert authorization.state == AuthorizationState.GRANTED
    assert authorization.ends_at == until
    assert "You allowed remote assistance" in page_of(ticket, client)


def test_a_grant_later_than_asked_is_refused_with_the_reason(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    authorization = ask_remote(ticket, agent, hours=4)
    later = timezone.localtime(authorization.ends_at + timedelta(days=1))

    response = client_for(requester).post(
        f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/grant/",
        {"ends_at": later.strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 422
    assert "no later than the time asked for" in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.state == AuthorizationState.REQUESTED
    bad = client_for(requester).post(
        f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/grant/", {"ends_at": "tomorrow"}
    )
    assert bad.status_code == 400


def test_the_requester_refuses_remote_assistance_with_a_reason(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    authorization = ask_remote(ticket, agent)

    response = client_for(requester).post(
        f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/refuse/", {"reason": "Not on this laptop"}
    )

    assert response.status_code == 302
    authorization.refresh_from_db()
    assert (authorization.state, authorization.refusal_reason) == (AuthorizationState.REFUSED, "Not on this laptop")
    assert (
        client_for(requester)
        .post(f"/portal/requests/{ticket.number}/authorizations/{authorization.pk}/maybe/")
        .status_code
        == 404
    )


def test_the_requester_confirms_or_rejects_a_plan(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    plan = propose(ticket, agent)
    client = client_for(requester)
    assert "Replace the drum" in page_of(ticket, client)

    no_reason = client.post(f"/portal/requests/{ticket.number}/plans/{plan.pk}/reject/", {"reason": ""})
    assert no_reason.status_code == 400
    assert (
        client.post(
            f"/portal/requests/{ticket.number}/plans/{plan.pk}/reject/", {"reason": "Not during the audit"}
        ).status_code
        == 302
    )
    plan.refresh_from_db()
    assert (plan.state, plan.rejection_reason) == (PlanState.REJECTED, "Not during the audit")

    second = propose(ticket, agent)
    assert client.post(f"/portal/requests/{ticket.number}/plans/{second.pk}/confirm/").status_code == 302
    second.refresh_from_db()
    assert second.state == PlanState.CONFIRMED
    again = client.post(f"/portal/requests/{ticket.number}/plans/{second.pk}/confirm/")
    assert again.status_code == 409
    assert "This plan has already been decided." in again.content.decode()


def test_yes_solved_closes_a_resolved_request(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, Status.RESOLVED)
    client = client_for(requester)
    html = page_of(ticket, client)
    assert "Is your problem solved?" in html
    assert "Replaced the drum" in html

    response = client.post(
        f"/portal/requests/{ticket.number}/resolution/", {"outcome": "solved", "version": ticket.version}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert "Is your problem solved?" not in page_of(ticket, client)


def test_yes_solved_on_a_proposed_fix_confirms_it(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, Status.IN_PROGRESS, Status.PENDING_CONFIRMATION)

    response = client_for(requester).post(f"/portal/requests/{ticket.number}/resolution/", {"outcome": "solved"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_not_solved_needs_a_reason_and_reopens(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    move(ticket, agent, Status.RESOLVED)
    client = client_for(requester)

    missing = client.post(f"/portal/requests/{ticket.number}/resolution/", {"outcome": "not_solved", "reason": " "})
    assert missing.status_code == 400
    assert "Tell us what is still wrong" in missing.content.decode()

    response = client.post(
        f"/portal/requests/{ticket.number}/resolution/", {"outcome": "not_solved", "reason": "Still blank pages"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count) == (Status.IN_PROGRESS, 1)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REOPENED, body="Still blank pages").exists()
    assert "Being worked on" in page_of(ticket, client)


def test_confirming_a_request_that_is_not_solved_is_refused(requester: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(requester)

    html = page_of(ticket, client)
    assert 'id="resolution"' not in html
    response = client.post(f"/portal/requests/{ticket.number}/resolution/", {"outcome": "solved"})
    assert response.status_code == 422
    assert "This request is not waiting for your confirmation." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_times_are_shown_in_the_desk_time_zone(requester: User) -> None:
    # 01:30 UTC is 09:30 in Shanghai, the desk's zone until the profile sets one per person.
    ticket = factories.make_ticket(requester, now=datetime(2026, 3, 10, 1, 30, tzinfo=UTC))

    assert "2026-03-10 09:30" in page_of(ticket, client_for(requester))
    assert "2026-03-10 09:30" in client_for(requester).get("/portal/").content.decode()


def test_the_page_costs_the_same_queries_for_3_and_30_events(requester: User, agent: User) -> None:
    ticket = factories.make_ticket(requester)
    client = client_for(requester)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            page_of(ticket, client)
        return len(context.captured_queries)

    now = timezone.now()
    for index in range(3):
        actions.add_comment(ticket, actor=agent, body=f"Reply {index}", is_internal=False, now=now)
    with_3 = queries()
    for index in range(27):
        actions.add_comment(
            ticket, actor=agent if index % 2 else requester, body=f"More {index}", is_internal=False, now=now
        )
    actions.add_attachment(
        ticket,
        actor=agent,
        upload=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        is_internal=False,
        now=now,
    )
    assert queries() == with_3


def test_the_list_and_the_request_page_stay_light(requester: User, agent: User) -> None:
    # The portal's budget is 100 KB of HTML, CSS and JS after the first visit (vendor files are cached).
    tickets = [factories.make_ticket(requester, title=f"Request number {index}") for index in range(25)]
    now = timezone.now()
    for index in range(30):
        actions.add_comment(tickets[0], actor=agent, body=f"Reply {index} " + "text " * 40, is_internal=False, now=now)
    client = client_for(requester)

    assert len(client.get("/portal/").content) < 30_000
    assert len(client.get(f"/portal/requests/{tickets[0].number}/").content) < 40_000


# The requester's mails


def test_every_mail_the_requester_receives_links_to_her_request(
    requester: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(requester)
        move(ticket, agent, Status.IN_PROGRESS)
        actions.add_comment(ticket, actor=agent, body="Which room?", is_internal=False, now=timezone.now())
        ask_remote(ticket, agent)
        move(ticket, agent, Status.RESOLVED)
    mails = OutboxMessage.objects.filter(recipient=requester)
    assert mails.count() == 4  # received, the reply, remote assistance asked, solved (work started is no news)
    link = f"http://testserver/portal/requests/{ticket.number}/"
    assert [mail.subject for mail in mails if link not in mail.body] == []


def test_the_list_searches_my_requests_through_the_search_service(requester: User, outsider: User) -> None:
    from sopdesk.search.indexing import index_pending

    printer = factories.make_ticket(requester, title="办公室打印机卡纸", description="三楼的打印机每页都卡纸")
    factories.make_ticket(requester, title="VPN disconnects every hour")
    factories.make_ticket(outsider, title="打印机没有墨了")
    index_pending()
    client = client_for(requester)

    html = client.get("/portal/?q=打印").content.decode()
    # A two-character word inside a longer one, never someone else's request.
    assert numbers_on(html) == [printer.number]
    assert 'value="打印"' in html
    assert numbers_on(client.get("/portal/?q=vpn&state=closed").content.decode()) == []
    assert "No request matches this search." in client.get("/portal/?q=nothing-like-this").content.decode()
    assert numbers_on(client.get(f"/portal/?q={printer.number}").content.decode()) == [printer.number]


@pytest.mark.parametrize("query", ['"', "NEAR(a b)", "a* OR -b", "'; DROP TABLE tickets_ticket; --", HOSTILE])
def test_hostile_searches_answer_a_page(requester: User, query: str) -> None:
    factories.make_ticket(requester, title="Printer")
    response = client_for(requester).get("/portal/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_an_overlong_or_nul_search_is_a_400_naming_the_problem(requester: User) -> None:
    client = client_for(requester)
    response = client.get("/portal/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert client.get("/portal/", {"q": "a\x00b"}).status_code == 400
