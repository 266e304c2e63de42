"""Mail end to end through real servers: in by Postfix and IMAP, out through the outbox and Postfix, and back."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.lib.mailthread import message_ids, ticket_number_in_subject, ticket_numbers_in_references
from sopdesk.mail.choices import ImapSecurity, MailState
from sopdesk.mail.imap import poll_mailbox
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import deliver_due
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.testing.mailservers import CUSTOMER_DOMAIN, LOOPBACK, PASSWORD, SUPPORT_DOMAIN, MailServers
from sopdesk.tickets.actions import add_comment
from sopdesk.tickets.choices import EventKind
from sopdesk.tickets.models import Ticket, TicketEvent

# Real commits: the intake's after-commit processing job and the outbox's delivery job run as in production
# (the job queue runs jobs inline in the tests).
pytestmark = [pytest.mark.mailserver, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def smtp_settings(postfix: MailServers, settings: Any) -> MailServers:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = LOOPBACK, postfix.smtp_port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = f"Service desk <noreply@{SUPPORT_DOMAIN}>"
    settings.SOPDESK_MAIL_DOMAIN = SUPPORT_DOMAIN
    return postfix


@pytest.fixture
def mailbox(smtp_settings: MailServers, service_desk: Team) -> Mailbox:
    address = smtp_settings.new_address("help")
    return Mailbox.objects.create(
        name="Help",
        address=address,
        imap_host=LOOPBACK,
        imap_port=smtp_settings.imap_port,
        imap_security=ImapSecurity.PLAIN,
        imap_username=address,
        imap_password=PASSWORD,
    )


@pytest.fixture
def customer(smtp_settings: MailServers, org_a: Any) -> User:
    address = smtp_settings.new_address("li.lei", domain=CUSTOMER_DOMAIN)
    return factories.make_user("lilei", organization=org_a, email=address)


def received(servers: MailServers, address: str, count: int) -> list[Message]:
    servers.wait_for_messages(address, count)
    return [message_from_bytes(raw, policy=policy.default) for raw in servers.fetch_all(address)]


def customer_mail(customer: User, *, to: str, subject: str, body: str, replying_to: Message | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"Li Lei <{customer.email}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '.').replace(':', '')}.{customer.pk}@{CUSTOMER_DOMAIN}>"
    if replying_to is not None:
        message["In-Reply-To"] = replying_to["Message-ID"]
        message["References"] = f"{replying_to.get('References', '')} {replying_to['Message-ID']}".strip()
    message.set_content(body)
    return bytes(message)


def test_a_mailed_request_is_answered_through_postfix_and_the_requesters_reply_lands_on_the_same_ticket(
    smtp_settings: MailServers, mailbox: Mailbox, customer: User, agent: User
) -> None:
    servers = smtp_settings
    request = customer_mail(customer, to=mailbox.address, subject="VPN down", body="Cannot connect since 9:00.")
    servers.send(request, sender=customer.email, recipients=[mailbox.address])
    servers.wait_for_messages(mailbox.address)

    assert poll_mailbox(mailbox, now=timezone.now()).stored_count == 1

    inbound = InboundMail.objects.get(mailbox=mailbox)
    assert inbound.state == MailState.PROCESSED
    ticket = inbound.ticket
    assert ticket is not None
    [ack] = received(servers, customer.email, 1)
    assert ack["Message-ID"] == OutboxMessage.objects.get(recipient=customer, ticket=ticket).message_id
    assert ticket_numbers_in_references([ack["Message-ID"]], domain=SUPPORT_DOMAIN) == [ticket.number]
    assert ack["In-Reply-To"] == inbound.message_id
    assert ticket_number_in_subject(ack["Subject"]) == ticket.number
    assert ack["Reply-To"] == mailbox.address

    add_comment(ticket, actor=agent, body="Please restart the VPN client.", is_internal=False, now=timezone.now())

    _, reply = received(servers, customer.email, 2)
    assert ticket_number_in_subject(reply["Subject"]) == ticket.number
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert message_ids(reply["References"]) == [inbound.message_id, ack["Message-ID"]]
    assert "Please restart the VPN client." in reply.get_body().get_content()  # type: ignore[union-attr]

    # The requester answers from their mail client; the answer travels back through Postfix.
    answer = customer_mail(
        customer, to=reply["Reply-To"], subject=f"Re: {reply['Subject']}", body="Restarted, works.", replying_to=reply
    )
    servers.send(answer, sender=customer.email, recipients=[mailbox.address])
    servers.wait_for_messages(mailbox.address, 2)

    assert poll_mailbox(mailbox, now=timezone.now()).stored_count == 1

    assert Ticket.objects.count() == 1
    replies = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY, actor=customer)
    assert [event.body for event in replies] == ["Restarted, works."]


def test_while_the_smtp_server_is_down_the_outbox_retries_and_then_delivers_exactly_once(
    smtp_settings: MailServers, customer: User, service_desk: Team
) -> None:
    servers = smtp_settings
    with servers.smtp_down():
        ticket = factories.make_ticket(customer, title="Printer jammed")  # its acknowledgement fails to go out
        message = OutboxMessage.objects.get(recipient=customer, ticket=ticket)
        assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 1)
        assert "Connection refused" in message.last_error
        # A retry while it is still down fails too.
        deliver_due(now=message.next_attempt_at + timedelta(seconds=1))
        message.refresh_from_db()
        assert (message.status, message.attempts) == (DeliveryStatus.PENDING, 2)

    report = deliver_due(now=message.next_attempt_at + timedelta(seconds=1))

    assert report.sent_count == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    [ack] = received(servers, customer.email, 1)
    assert ack["Message-ID"] == message.message_id
    # Nothing left to send: later runs add nothing, and the mailbox keeps exactly one copy.
    assert deliver_due(now=message.next_attempt_at + timedelta(hours=2)).sent_count == 0
    assert len(servers.fetch_all(customer.email)) == 1
