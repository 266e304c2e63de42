"""The Django admin shows kept records read-only, never deletes them, and logs ticket views."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Organization, Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment, add_comment, record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import Attachment, Category, PriorityRule, Ticket, TicketAccessLog, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEPT_MODELS = [Ticket, TicketEvent, Attachment, TicketAccessLog]
READ_ONLY_MODELS = [Ticket, TicketEvent, Attachment, TicketAccessLog]


@pytest.fixture
def ticket(requester: User, agent: User) -> Ticket:
    ticket = factories.make_ticket(requester, title="<script>alert('admin')</script>", now=NOW)
    add_comment(ticket, actor=agent, body="Internal: check switch", is_internal=True, now=NOW)
    add_attachment(ticket, actor=agent, upload=SimpleUploadedFile("a.txt", b"a"), is_internal=False, now=NOW)
    record_ticket_view(ticket, user=agent, via=AccessChannel.WEB, now=NOW, ip_address=None)
    return ticket


def url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def first_pk(model: type[models.Model], ticket: Ticket) -> int:
    row = ticket if model is Ticket else model._default_manager.filter(ticket=ticket).first()
    assert row is not None
    return int(row.pk)


@pytest.mark.parametrize("model", [*KEPT_MODELS, Organization, Team, Category])
def test_kept_records_have_no_delete_permission_even_for_a_superuser(
    model: type[models.Model], admin_user: User, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.user = admin_user
    assert admin.site._registry[model].has_delete_permission(request) is False


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_tickets_events_attachments_and_the_access_log_are_read_only_in_the_admin(
    model: type[models.Model], admin_user: User, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_view_permission(request) is True


@pytest.mark.parametrize("model", KEPT_MODELS)
def test_the_admin_delete_page_is_forbidden(model: type[models.Model], ticket: Ticket, admin_client: Client) -> None:
    pk = first_pk(model, ticket)
    assert admin_client.get(url(model, "delete", pk)).status_code == 403
    assert admin_client.post(url(model, "delete", pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=pk).exists()


@pytest.mark.parametrize("model", KEPT_MODELS)
def test_the_bulk_delete_action_is_not_offered(model: type[models.Model], ticket: Ticket, admin_client: Client) -> None:
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    action_form = response.context["action_form"]
    offered = [name for name, _label in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in offered
    pk = first_pk(model, ticket)
    admin_client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert model._default_manager.filter(pk=pk).exists()


def test_a_ticket_cannot_be_changed_through_the_admin(ticket: Ticket, admin_client: Client) -> None:
    response = admin_client.post(url(Ticket, "change", ticket.pk), {"title": "Changed", "status": "closed"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_opening_a_ticket_in_the_admin_is_logged_with_via_admin(
    ticket: Ticket, admin_client: Client, admin_user: User
) -> None:
    response = admin_client.get(url(Ticket, "change", ticket.pk), REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200
    entry = TicketAccessLog.objects.filter(ticket=ticket, user=admin_user).get()
    assert (entry.via, entry.ip_address) == (AccessChannel.ADMIN, "198.51.100.4")


def test_the_admin_view_is_logged_at_the_time_it_happened(
    ticket: Ticket, admin_client: Client, admin_user: User
) -> None:
    with time_machine.travel(datetime(2026, 3, 5, 14, 30, tzinfo=UTC), tick=False):
        admin_client.get(url(Ticket, "change", ticket.pk))
    entry = TicketAccessLog.objects.get(user=admin_user)
    assert entry.accessed_at == datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


def test_every_admin_view_of_a_ticket_adds_an_entry(ticket: Ticket, admin_client: Client, admin_user: User) -> None:
    for _ in range(2):
        admin_client.get(url(Ticket, "change", ticket.pk))
    assert TicketAccessLog.objects.filter(user=admin_user, via=AccessChannel.ADMIN).count() == 2


def test_lists_and_records_without_ticket_data_are_not_ticket_reads(ticket: Ticket, admin_client: Client) -> None:
    before = TicketAccessLog.objects.count()
    for model in (Ticket, TicketEvent, Attachment, TicketAccessLog):
        assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(Category, "changelist")).status_code == 200
    assert TicketAccessLog.objects.count() == before


@pytest.mark.parametrize("model", [TicketEvent, Attachment])
def test_opening_an_event_or_attachment_of_a_ticket_is_a_read_of_that_ticket(
    model: type[models.Model], ticket: Ticket, admin_client: Client, admin_user: User
) -> None:
    response = admin_client.get(url(model, "change", first_pk(model, ticket)), REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200
    entry = TicketAccessLog.objects.get(user=admin_user)
    assert (entry.ticket, entry.via, entry.ip_address, entry.attachment) == (
        ticket,
        AccessChannel.ADMIN,
        "198.51.100.4",
        None,
    )


def test_the_ticket_page_lists_its_attachments_with_a_logged_download(
    ticket: Ticket, admin_client: Client, admin_user: User
) -> None:
    attachment = ticket.attachments.get()
    download = reverse("admin:tickets_attachment_download", args=[attachment.pk])
    page = admin_client.get(url(Ticket, "change", ticket.pk)).content.decode()
    assert f'href="{download}"' in page
    # The stored name never appears: files are reached only through the download view.
    assert attachment.file.name not in page

    response = admin_client.get(download, REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a"  # type: ignore[attr-defined]
    assert response["Content-Disposition"] == 'attachment; filename="a.txt"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    entry = TicketAccessLog.objects.filter(user=admin_user).latest("id")
    assert (entry.ticket, entry.attachment, entry.via) == (ticket, attachment, AccessChannel.ADMIN)


def test_the_attachment_page_offers_the_logged_download_instead_of_the_stored_file(
    ticket: Ticket, admin_client: Client
) -> None:
    attachment = ticket.attachments.get()
    page = admin_client.get(url(Attachment, "change", attachment.pk)).content.decode()
    assert reverse("admin:tickets_attachment_download", args=[attachment.pk]) in page
    assert attachment.file.name not in page


def test_an_admin_download_needs_view_permission_and_logs_nothing_when_refused(ticket: Ticket, agent: User) -> None:
    agent.is_staff = True
    agent.save()
    client = Client()
    client.force_login(agent)
    attachment = ticket.attachments.get()
    download = reverse("admin:tickets_attachment_download", args=[attachment.pk])

    assert client.get(download).status_code == 404
    assert not TicketAccessLog.objects.filter(user=agent, via=AccessChannel.ADMIN).exists()

    agent.user_permissions.add(Permission.objects.get(codename="view_attachment"))
    assert client.get(download).status_code == 200
    assert TicketAccessLog.objects.filter(user=agent, attachment=attachment).count() == 1


def test_an_unknown_attachment_download_in_the_admin_is_404(admin_client: Client) -> None:
    assert admin_client.get(reverse("admin:tickets_attachment_download", args=[999_999])).status_code == 404


def test_every_admin_reader_is_logged_even_one_with_the_requester_role(ticket: Ticket, requester: User) -> None:
    # Whoever reads ticket data in the admin is recorded, whatever their service-desk role.
    requester.is_staff = True
    requester.save()
    requester.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = Client()
    client.force_login(requester)

    assert client.get(url(Ticket, "change", ticket.pk)).status_code == 200
    assert TicketAccessLog.objects.filter(user=requester, via=AccessChannel.ADMIN).count() == 1


def test_an_unknown_ticket_in_the_admin_logs_nothing(ticket: Ticket, admin_client: Client) -> None:
    before = TicketAccessLog.objects.count()
    response = admin_client.get(url(Ticket, "change", 999_999))
    # The admin answers a missing object by sending the user back to its index with a message.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert TicketAccessLog.objects.count() == before


def test_staff_without_admin_permission_are_refused_and_no_view_is_logged(ticket: Ticket, agent: User) -> None:
    agent.is_staff = True
    agent.save()
    client = Client()
    client.force_login(agent)
    assert client.get(url(Ticket, "change", ticket.pk)).status_code == 403
    assert not TicketAccessLog.objects.filter(user=agent, via=AccessChannel.ADMIN).exists()


def test_staff_with_view_permission_see_the_ticket_and_are_logged(ticket: Ticket, agent: User) -> None:
    agent.is_staff = True
    agent.save()
    agent.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = Client()
    client.force_login(agent)
    assert client.get(url(Ticket, "change", ticket.pk)).status_code == 200
    assert TicketAccessLog.objects.filter(user=agent, via=AccessChannel.ADMIN).count() == 1


def test_the_admin_page_escapes_markup_in_ticket_text(ticket: Ticket, admin_client: Client) -> None:
    content = admin_client.get(url(Ticket, "change", ticket.pk)).content.decode()
    assert "<script>alert('admin')</script>" not in content
    assert "&lt;script&gt;" in content


def test_a_priority_rule_edited_in_the_admin_applies_to_new_tickets(admin_client: Client, requester: User) -> None:
    rule = PriorityRule.objects.get(impact="single_user", urgency="low")
    response = admin_client.post(
        url(PriorityRule, "change", rule.pk), {"impact": "single_user", "urgency": "low", "priority": "P2"}
    )
    assert response.status_code == 302
    ticket = factories.make_ticket(requester, impact="single_user", urgency="low", now=NOW)
    assert ticket.priority == "P2"


def test_priority_matrix_edits_are_recorded_in_the_configuration_audit_log(
    admin_client: Client, admin_user: User
) -> None:
    rule = PriorityRule.objects.get(impact="single_user", urgency="low")
    admin_client.post(
        url(PriorityRule, "change", rule.pk), {"impact": "single_user", "urgency": "low", "priority": "P2"}
    )
    admin_client.post(url(PriorityRule, "delete", rule.pk), {"post": "yes"})

    changed, deleted = ConfigChange.objects.filter(object_type="tickets.priorityrule").order_by("id")
    assert (changed.actor, changed.operation, changed.object_id) == (admin_user, "changed", str(rule.pk))
    assert (changed.before, changed.after) == ({"priority": "P4"}, {"priority": "P2"})
    assert deleted.operation == "deleted"
    assert deleted.before == {"impact": "single_user", "urgency": "low", "priority": "P2"}
    assert not PriorityRule.objects.filter(pk=rule.pk).exists()


def test_the_priority_matrix_cannot_hold_two_rules_for_one_cell(admin_client: Client) -> None:
    response = admin_client.post(
        url(PriorityRule, "add"), {"impact": "department", "urgency": "high", "priority": "P4"}
    )
    assert response.status_code == 200  # the form is shown again with the error
    assert PriorityRule.objects.filter(impact="department", urgency="high").count() == 1


def test_a_team_lead_cannot_reach_the_admin(team_lead: User) -> None:
    client = Client()
    client.force_login(team_lead)
    assert team_lead.role == Role.TEAM_LEAD
    assert client.get(url(Ticket, "changelist")).status_code == 302  # to the admin login


def test_the_ticket_page_shows_its_clocks_in_words(requester: User, admin_client: Client) -> None:
    # Monday 2026-10-12 09:00 in Beijing; a P3 ticket must answer within 4 h of office time.
    opened = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    ticket = factories.make_ticket(requester, impact="single_user", urgency="high", now=opened)
    with time_machine.travel(datetime(2026, 10, 12, 3, 48, tzinfo=UTC), tick=False):  # 11:48
        page = admin_client.get(url(Ticket, "change", ticket.pk)).content.decode()
    assert "First response: responds by Mon 10-12 14:30, 1 h 12 min of business time left" in page
    assert "Assignment: assigned by Mon 10-12 09:15, 2 h 33 min of business time overdue" in page


def test_a_lead_in_the_admin_audits_the_readers_of_their_teams_tickets_only(
    ticket: Ticket, requester: User, agent: User
) -> None:
    network = factories.make_team("network-admin-test")
    lead = factories.make_user("lead-admin-test", role=Role.TEAM_LEAD, lead_of=[network])
    lead.is_staff = True
    lead.save()
    lead.user_permissions.add(Permission.objects.get(codename="view_ticketaccesslog"))
    theirs = factories.make_ticket(requester, title="Switch down", now=NOW)
    Ticket.objects.filter(pk=theirs.pk).update(team=network)
    record_ticket_view(theirs, user=agent, via=AccessChannel.WEB, now=NOW, ip_address=None)
    client = Client()
    client.force_login(lead)

    html = client.get(url(TicketAccessLog, "changelist")).content.decode()

    assert theirs.number in html
    assert ticket.number not in html  # another team's ticket: its readers are not the lead's to audit
    other = TicketAccessLog.objects.filter(ticket=ticket).first()
    assert other is not None
    assert client.get(url(TicketAccessLog, "change", other.pk)).status_code == 302  # not found: back to the list
