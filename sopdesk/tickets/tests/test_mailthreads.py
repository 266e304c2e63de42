"""Outbound threading: every requester mail has a stable Message-ID and answers the thread's newest message."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail

from sopdesk.accounts.models import User
from sopdesk.closing.autoclose import close_one
from sopdesk.lib.mailthread import message_ids, ticket_number_in_subject, ticket_numbers_in_references
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import deliver_due, deliver_new
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.tickets.actions import ClosureSummary, add_comment, assign_ticket, change_status
from sopdesk.tickets.mailthreads import MAX_REFERENCES, answering_mail
from sopdesk.tickets.models import Ticket
from sopdesk.tickets.notifications import HISTORY_MESSAGE_CHARS, HISTORY_MESSAGES

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOMAIN = "desk.example"
CLOSURE = ClosureSummary(problem="No network.", diagnosis="Unplugged cable.", solution="Plugged it in.")


@pytest.fixture(autouse=True)
def _mail_domain(settings: Any) -> None:
    settings.SOPDESK_MAIL_DOMAIN = DOMAIN


def requester_mails(ticket: Ticket, requester: User) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=requester, ticket=ticket).order_by("created_at", "pk"))


def test_the_acknowledgement_has_a_message_id_naming_the_ticket_and_the_number_in_its_subject(
    requester: User, service_desk: Any
) -> None:
    ticket = factories.make_ticket(requester, now=NOW)

    [ack] = requester_mails(ticket, requester)

    assert ticket_numbers_in_references([ack.message_id], domain=DOMAIN) == [ticket.number]
    assert ticket_number_in_subject(ack.subject) == ticket.number
    # Filed on the portal: nothing to answer, no support address to reply to.
    assert (ack.in_reply_to, ack.references, ack.reply_to) == ("", "", "")


def test_a_staff_reply_answers_the_previous_mail_and_quotes_the_public_history_only(
    requester: User, agent: User, service_desk: Any
) -> None:
    ticket = factories.make_ticket(requester, description="The printer prints blank pages.", now=NOW)
    add_comment(ticket, actor=agent, body="Which printer?", is_internal=False, now=NOW + timedelta(minutes=1))
    add_comment(ticket, actor=requester, body="The one on floor 3.", is_internal=False, now=NOW + timedelta(minutes=2))
    add_comment(ticket, actor=agent, body="SECRET: toner fraud", is_internal=True, now=NOW + timedelta(minutes=3))
    add_comment(ticket, actor=agent, body="Please try again now.", is_internal=False, now=NOW + timedelta(minutes=4))

    ack, question, answer = requester_mails(ticket, requester)

    assert question.in_reply_to == ack.message_id
    assert answer.in_reply_to == question.message_id
    assert message_ids(answer.references) == [ack.message_id, question.message_id]
    body = answer.body
    message, history = body.split("\n-- \n", 1)
    assert "Please try again now." in message
    # Newest first, never the internal note, the request itself last.
    assert history.index("The one on floor 3.") < history.index("Which printer?") < history.index("blank pages")
    assert "SECRET" not in body
    assert "> The one on floor 3." in history


def test_the_quoted_history_is_the_last_few_messages_each_cut_to_a_sane_length(
    requester: User, agent: User, service_desk: Any
) -> None:
    ticket = factories.make_ticket(requester, description="original request", now=NOW)
    for minute in range(1, 6):
        at = NOW + timedelta(minutes=minute)
        add_comment(ticket, actor=agent, body=f"message {minute} " + "x" * 3000, is_internal=False, now=at)

    last = requester_mails(ticket, requester)[-1]
    history = last.body.split("-- \n", 1)[1]

    assert [f"message {n} " in history for n in (4, 3, 2, 1)] == [True] * HISTORY_MESSAGES + [False]
    assert "original request" not in history  # no room left
    assert "x" * (HISTORY_MESSAGE_CHARS + 1) not in history
    assert "[…]" in history


def test_a_retried_delivery_sends_the_same_message_id(requester: User, agent: User, service_desk: Any) -> None:
    ticket = factories.make_ticket(requester, now=NOW)
    deliver_new(now=NOW)
    mail.outbox.clear()
    add_comment(ticket, actor=agent, body="An answer.", is_internal=False, now=NOW)
    reply = requester_mails(ticket, requester)[-1]
    # A first attempt that failed after the server took the message, then the retry.
    OutboxMessage.objects.filter(pk=reply.pk).update(attempts=1, next_attempt_at=NOW)

    deliver_due(now=NOW)
    OutboxMessage.objects.filter(pk=reply.pk).update(status=DeliveryStatus.PENDING, next_attempt_at=NOW)
    deliver_due(now=NOW)

    sent = [message for message in mail.outbox if message.to == [requester.email]]
    assert len(sent) == 2
    headers = [message_from_bytes(message.message().as_bytes(), policy=policy.default) for message in sent]
    assert {header["Message-ID"] for header in headers} == {reply.message_id}
    assert {header["In-Reply-To"] for header in headers} == {reply.in_reply_to}
    assert headers[0]["References"] == reply.references


def _inbound(mailbox: Mailbox, *, message_id: str, ticket: Ticket | None, at: datetime) -> InboundMail:
    raw = f"Message-ID: {message_id}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    return InboundMail.objects.create(
        mailbox=mailbox,
        source="imap",
        message_id=message_id,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        raw=raw,
        received_at=at,
        ticket=ticket,
    )


def test_the_acknowledgement_of_a_mailed_request_answers_that_mail_and_replies_go_to_the_mailbox(
    requester: User, service_desk: Any
) -> None:
    with answering_mail(message_id="<abc@customer.example>", mailbox_address="help@desk.example", received_at=NOW):
        ticket = factories.make_ticket(requester, now=NOW)

    [ack] = requester_mails(ticket, requester)

    assert (ack.in_reply_to, ack.references, ack.reply_to) == (
        "<abc@customer.example>",
        "<abc@customer.example>",
        "help@desk.example",
    )


def test_a_reply_answers_the_requesters_latest_mail_stored_for_the_ticket(
    requester: User, agent: User, service_desk: Any
) -> None:
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    ticket = factories.make_ticket(requester, now=NOW)
    [ack] = requester_mails(ticket, requester)
    _inbound(mailbox, message_id="<first@customer.example>", ticket=ticket, at=NOW - timedelta(seconds=1))
    _inbound(mailbox, message_id="<second@customer.example>", ticket=ticket, at=NOW + timedelta(minutes=5))

    add_comment(ticket, actor=agent, body="Thanks.", is_internal=False, now=NOW + timedelta(minutes=6))

    reply = requester_mails(ticket, requester)[-1]
    assert reply.in_reply_to == "<second@customer.example>"
    assert message_ids(reply.references) == ["<first@customer.example>", ack.message_id, "<second@customer.example>"]
    assert reply.reply_to == "help@desk.example"


def test_references_keep_the_first_message_and_the_newest_ones(requester: User, agent: User, service_desk: Any) -> None:
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    ticket = factories.make_ticket(requester, now=NOW)
    for index in range(MAX_REFERENCES + 5):
        _inbound(mailbox, message_id=f"<m{index}@customer.example>", ticket=ticket, at=NOW + timedelta(minutes=index))

    add_comment(ticket, actor=requester, body="Still broken.", is_internal=False, now=NOW + timedelta(hours=1))
    add_comment(ticket, actor=agent, body="On it.", is_internal=False, now=NOW + timedelta(hours=2))

    references = message_ids(requester_mails(ticket, requester)[-1].references)
    assert len(references) == MAX_REFERENCES
    assert references[-1] == f"<m{MAX_REFERENCES + 4}@customer.example>"
    assert references[0] == requester_mails(ticket, requester)[0].message_id  # the acknowledgement came first


def test_the_auto_close_mail_joins_the_thread(requester: User, agent: User, service_desk: Any) -> None:
    ticket = factories.make_ticket(requester, now=NOW)
    assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=NOW)
    change_status(ticket, to_status="resolved", actor=agent, now=NOW, closure=CLOSURE)
    before = requester_mails(ticket, requester)[-1]

    close_one(ticket, now=NOW + timedelta(days=5))

    closing = requester_mails(ticket, requester)[-1]
    assert closing.pk != before.pk
    assert closing.in_reply_to == before.message_id
    assert ticket_numbers_in_references([closing.message_id], domain=DOMAIN) == [ticket.number]
