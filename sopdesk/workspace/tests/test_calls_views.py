"""The workspace's phone-call screens: the ticket's calls panel and "log a call" for a new ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.calls.models import PhoneCall
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**changes: str) -> dict[str, str]:
    ring = timezone.localtime(timezone.now() - timedelta(minutes=10))
    values = {
        "caller_number": "+86 21 5555 0101",
        "caller_name": "Chen Jing",
        "direction": "inbound",
        "ring_at": ring.strftime("%Y-%m-%dT%H:%M:%S"),
        "answer_seconds": "9",
        "talk_minutes": "4",
        "outcome": "answered_on_call",
        "notes": "<b>Password</b> reset done",
    }
    values.update(changes)
    return {f"call-{name}": value for name, value in values.items()}


@pytest.fixture
def ticket(requester: User, service_desk: Team) -> Ticket:
    return factories.make_ticket(requester)


def test_an_agent_logs_a_call_from_the_ticket_page_and_sees_it_in_the_panel(agent: User, ticket: Ticket) -> None:
    client = logged_in(agent)
    page = client.get(f"/desk/tickets/{ticket.number}/")
    assert f"/desk/tickets/{ticket.number}/calls/".encode() in page.content

    posted = client.post(f"/desk/tickets/{ticket.number}/calls/", form())
    assert posted.status_code == 302
    call = PhoneCall.objects.get()
    assert (call.answer_seconds, call.duration_seconds) == (9, 240)

    panel = client.get(f"/desk/tickets/{ticket.number}/calls/", headers={"HX-Request": "true"})
    assert b"+86 21 5555 0101" in panel.content
    assert b"&lt;b&gt;Password&lt;/b&gt;" in panel.content  # notes are escaped
    assert b'id="log-call-form"' in panel.content
    timeline = client.get(f"/desk/tickets/{ticket.number}/")
    assert "Inbound · +86 21 5555 0101 (Chen Jing) · answered after 9 s · 4 min" in timeline.content.decode()


def test_a_refused_call_shows_the_reason_next_to_the_field(agent: User, ticket: Ticket) -> None:
    future = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    page = logged_in(agent).post(f"/desk/tickets/{ticket.number}/calls/", form(ring_at=future))
    assert page.status_code == 422
    assert "ring_at" in page.context["form"].errors
    assert not PhoneCall.objects.exists()


def test_an_agent_of_another_team_sees_no_form_and_cannot_post(engineer: User, ticket: Ticket) -> None:
    client = logged_in(engineer)
    assert client.get(f"/desk/tickets/{ticket.number}/calls/").status_code == 404
    assert client.post(f"/desk/tickets/{ticket.number}/calls/", form()).status_code == 404
    assert not PhoneCall.objects.exists()


def test_a_manager_reads_the_panel_and_a_requester_is_sent_away(manager: User, requester: User, ticket: Ticket) -> None:
    panel = logged_in(manager).get(f"/desk/tickets/{ticket.number}/calls/", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert logged_in(requester).post(f"/desk/tickets/{ticket.number}/calls/", form()).status_code == 302
    assert not PhoneCall.objects.exists()


def test_log_a_call_creates_a_phone_ticket_for_the_requester_with_that_number(agent: User, requester: User) -> None:
    requester.phone = "021-5555-0101"
    requester.save(update_fields=["phone"])
    client = logged_in(agent)
    assert client.get("/desk/calls/new/").status_code == 200

    posted = client.post("/desk/calls/new/", form(title="Password reset"))

    ticket = Ticket.objects.get()
    assert posted.status_code == 302
    assert posted["Location"] == f"/desk/tickets/{ticket.number}/"
    assert ticket.requester == requester
    assert ticket.channel == "phone"


def test_log_a_call_asks_for_the_requester_when_the_number_is_unknown(agent: User, requester: User) -> None:
    page = logged_in(agent).post("/desk/calls/new/", form(title="Password reset", caller_number="12345678"))
    assert page.status_code == 422
    assert "requester" in page.context["form"].errors
    page = logged_in(agent).post("/desk/calls/new/", form(title="x", requester="nobody-here"))
    assert "requester" in page.context["form"].errors
    assert not Ticket.objects.exists()


def test_an_incident_ticket_shows_its_alerts_card_to_staff_who_see_it(agent: User, engineer: User) -> None:
    from sopdesk.alerts.actions import receive_alerts
    from sopdesk.alerts.choices import AlertStatus, SourceKind
    from sopdesk.alerts.config import SourceSettings, create_alert_source
    from sopdesk.alerts.payloads import ReceivedAlert

    now = timezone.now()
    source, _token = create_alert_source(
        settings=SourceSettings(name="prometheus", kind=SourceKind.ALERTMANAGER), actor=None, now=now
    )
    alert = ReceivedAlert(
        fingerprint="f1",
        status=AlertStatus.FIRING,
        name="<script>ERP</script> down",
        severity="critical",
        starts_at=now,
        labels={"instance": "erp-01"},
    )
    [result] = receive_alerts(source, [alert], now=now)
    page = logged_in(agent).get(f"/desk/tickets/{result.ticket_number}/")
    assert f"/desk/tickets/{result.ticket_number}/alerts/".encode() in page.content

    card = logged_in(agent).get(f"/desk/tickets/{result.ticket_number}/alerts/", headers={"HX-Request": "true"})
    assert b"&lt;script&gt;ERP&lt;/script&gt; down" in card.content
    assert b"instance=erp-01" in card.content
    assert logged_in(engineer).get(f"/desk/tickets/{result.ticket_number}/alerts/").status_code == 404


def test_the_calls_panel_reads_a_fixed_number_of_queries_whatever_the_number_of_calls(
    agent: User, ticket: Ticket
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(agent)
    url = f"/desk/tickets/{ticket.number}/calls/"
    client.post(url, form())
    with CaptureQueriesContext(connection) as one:
        client.get(url, headers={"HX-Request": "true"})
    for _ in range(4):
        client.post(url, form())
    with CaptureQueriesContext(connection) as five:
        client.get(url, headers={"HX-Request": "true"})
    assert len(five) == len(one)
