"""Concurrent intake and processing of one message: one row, one ticket, one acknowledgement."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.processing import process_mail
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.testing import mailcorpus as corpus
from sopdesk.testing.concurrency import race
from sopdesk.tickets.models import Ticket


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_message_delivered_and_processed_by_four_workers_at_once_makes_one_ticket() -> None:
    factories.make_team("service-desk", is_intake=True)
    factories.make_user("requester")
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    raw = corpus.message(sender="requester@example.com")

    def deliver_and_process(index: int) -> int:
        # Two transports hand over the same message; each then runs its job (inline in the tests).
        mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.IMAP, now=timezone.now())
        return process_mail(mail.pk, now=timezone.now()).pk

    results = race(4, deliver_and_process)
    assert all(isinstance(result, int) for result in results), results
    assert len(set(results)) == 1
    assert InboundMail.objects.get().state == MailState.PROCESSED
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.filter(address="requester@example.com").count() == 1
