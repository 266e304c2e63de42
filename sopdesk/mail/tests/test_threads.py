"""Our mails about a ticket that came by mail answer the requester's own mails (tickets.mailthreads)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.lib.mailthread import message_ids
from sopdesk.mail import processing
from sopdesk.mail.choices import MailSource
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import mailcorpus as corpus
from sopdesk.tickets.actions import add_comment

pytestmark = pytest.mark.django_db

FROM = "Requester <requester@example.com>"


@pytest.fixture(autouse=True)
def _mail_domain(settings: Any) -> None:
    settings.SOPDESK_MAIL_DOMAIN = "desk.example"


@pytest.fixture
def mailbox(service_desk: Team) -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


def deliver(mailbox: Mailbox, raw: bytes) -> InboundMail:
    mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now())
    return processing.process_mail(mail.pk, now=timezone.now())


def mails_to(requester: User) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=requester).order_by("created_at", "pk"))


def test_the_acknowledgement_answers_the_mail_and_replies_go_to_the_mailbox(mailbox: Mailbox, requester: User) -> None:
    mail = deliver(mailbox, corpus.message(sender=FROM, subject="VPN down"))

    [ack] = mails_to(requester)

    assert (ack.in_reply_to, ack.references, ack.reply_to) == (mail.message_id, mail.message_id, mailbox.address)
    assert ack.ticket_id == mail.ticket_id


def test_a_staff_reply_answers_the_requesters_latest_mail_of_the_thread(
    mailbox: Mailbox, requester: User, agent: User
) -> None:
    first = deliver(mailbox, corpus.message(sender=FROM, subject="VPN down"))
    ticket = first.ticket
    assert ticket is not None
    [ack] = mails_to(requester)
    # The requester answers the acknowledgement from their mail client.
    second = deliver(
        mailbox,
        corpus.message(
            sender=FROM,
            subject=f"Re: {ack.subject}",
            body="Still down.",
            headers={"In-Reply-To": ack.message_id, "References": f"{first.message_id} {ack.message_id}"},
        ),
    )
    assert second.ticket_id == ticket.pk

    add_comment(ticket, actor=agent, body="Please restart the client.", is_internal=False, now=timezone.now())

    reply = mails_to(requester)[-1]
    assert reply.in_reply_to == second.message_id
    assert message_ids(reply.references) == [first.message_id, ack.message_id, second.message_id]
    assert reply.reply_to == mailbox.address
    assert "> Still down." in reply.body
