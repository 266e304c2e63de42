"""Records that are never hard-deleted and timeline rows that are append-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from sopdesk.accounts.models import Organization, Team, User
from sopdesk.core.models import HardDeleteRefused
from sopdesk.testing import factories
from sopdesk.tickets.actions import add_attachment, add_comment, record_ticket_view
from sopdesk.tickets.choices import AccessChannel
from sopdesk.tickets.models import Attachment, Category, Ticket, TicketAccessLog, TicketEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def ticket(requester: User, agent: User) -> Ticket:
    ticket = factories.make_ticket(requester, now=NOW)
    add_comment(ticket, actor=agent, body="Looking into it.", is_internal=False, now=NOW)
    add_attachment(
        ticket,
        actor=requester,
        upload=SimpleUploadedFile("error.log", b"printer spooler stopped\n"),
        is_internal=False,
        now=NOW,
    )
    record_ticket_view(ticket, user=agent, via=AccessChannel.WEB, now=NOW, ip_address="192.0.2.1")
    return ticket


@pytest.mark.parametrize("model", [Ticket, TicketEvent, Attachment, TicketAccessLog])
def test_deleting_a_kept_record_is_refused_and_the_row_stays(ticket: Ticket, model: type[models.Model]) -> None:
    lookup: dict[str, Any] = {"pk": ticket.pk} if model is Ticket else {"ticket": ticket}
    record = model._default_manager.filter(**lookup).first()
    assert record is not None
    with pytest.raises(HardDeleteRefused):
        record.delete()
    assert model._default_manager.filter(pk=record.pk).exists()


@pytest.mark.parametrize("model", [Ticket, TicketEvent, Attachment, TicketAccessLog])
def test_bulk_deleting_kept_records_through_a_queryset_is_refused(ticket: Ticket, model: type[models.Model]) -> None:
    count = model._default_manager.count()
    assert count > 0
    with pytest.raises(HardDeleteRefused):
        model._default_manager.all().delete()
    assert model._default_manager.count() == count


@pytest.mark.parametrize("model", [Organization, Team, Category])
def test_reference_data_is_kept_too(ticket: Ticket, model: type[models.Model]) -> None:
    assert model._default_manager.exists()
    with pytest.raises(HardDeleteRefused):
        model._default_manager.all().delete()


def test_deleting_through_a_related_manager_is_refused(ticket: Ticket) -> None:
    with pytest.raises(HardDeleteRefused):
        ticket.events.all().delete()
    with pytest.raises(HardDeleteRefused):
        ticket.attachments.all().delete()


def test_saving_an_existing_event_again_is_refused(ticket: Ticket) -> None:
    event = ticket.events.get(kind="public_reply")
    event.body = "Rewritten history."
    with pytest.raises(HardDeleteRefused, match="append-only"):
        event.save()
    event.refresh_from_db()
    assert event.body == "Looking into it."


def test_saving_an_existing_access_log_entry_again_is_refused(ticket: Ticket) -> None:
    entry = TicketAccessLog.objects.get(ticket=ticket)
    entry.ip_address = "198.51.100.7"
    with pytest.raises(HardDeleteRefused, match="append-only"):
        entry.save()
    entry.refresh_from_db()
    assert entry.ip_address == "192.0.2.1"


def test_new_events_can_still_be_appended(ticket: Ticket, agent: User) -> None:
    before = ticket.events.count()
    add_comment(ticket, actor=agent, body="Second look.", is_internal=True, now=NOW)
    assert ticket.events.count() == before + 1


def test_tickets_themselves_may_be_updated_but_not_deleted(ticket: Ticket) -> None:
    ticket.title = "Updated"
    ticket.save(update_fields=["title"])
    ticket.refresh_from_db()
    assert ticket.title == "Updated"
