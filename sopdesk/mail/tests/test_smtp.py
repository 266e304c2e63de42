"""The built-in SMTP receiver: accepted mail is stored (then processed) before 250; unknown recipients get 550."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sopdesk.accounts.models import Team, User
from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.smtp import make_controller
from sopdesk.testing import mailcorpus as corpus
from sopdesk.testing.mailservers import LOOPBACK, RELAY_DOMAIN, MailServers, free_port
from sopdesk.tickets.choices import Channel
from sopdesk.tickets.models import Ticket

# The receiver stores in its own thread, with its own connection: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FROM = "Requester <requester@example.com>"


@pytest.fixture
def mailbox(service_desk: Team) -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


@pytest.fixture
def receiver(settings: Any) -> Iterator[int]:
    settings.SOPDESK_MAIL_MAX_BYTES = 200_000
    port = free_port()
    controller = make_controller(host=LOOPBACK, port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def send(port: int, raw: bytes, *, to: list[str]) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(LOOPBACK, port, timeout=10) as client:
        return client.sendmail("requester@example.com", to, raw)


def test_mail_for_a_mailbox_is_stored_and_becomes_a_ticket(receiver: int, mailbox: Mailbox, requester: User) -> None:
    refused = send(
        receiver, corpus.message(sender=FROM, subject="Disk full", to="help@desk.example"), to=["Help@Desk.Example"]
    )

    assert refused == {}
    mail = InboundMail.objects.get()
    assert (mail.mailbox, mail.source, mail.state) == (mailbox, MailSource.SMTP, MailState.PROCESSED)
    assert mail.ticket is not None
    assert (mail.ticket.title, mail.ticket.channel, mail.ticket.requester) == ("Disk full", Channel.EMAIL, requester)


def test_an_unknown_or_inactive_recipient_is_refused_with_550(receiver: int, mailbox: Mailbox) -> None:
    Mailbox.objects.create(name="Old", address="old@desk.example", is_active=False)
    for address in ("nobody@desk.example", "old@desk.example"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(receiver, corpus.message(sender=FROM), to=[address])
        assert refused.value.recipients[address][0] == 550
    assert not InboundMail.objects.exists()


def test_a_message_for_a_known_and_an_unknown_recipient_is_stored_once(receiver: int, mailbox: Mailbox) -> None:
    refused = send(receiver, corpus.message(sender=FROM), to=["nobody@desk.example", "help@desk.example"])

    assert refused["nobody@desk.example"][0] == 550
    assert InboundMail.objects.count() == 1


def test_the_same_message_delivered_twice_is_stored_once(receiver: int, mailbox: Mailbox, requester: User) -> None:
    raw = corpus.message(sender=FROM, subject="Twice")
    send(receiver, raw, to=["help@desk.example"])
    send(receiver, raw, to=["help@desk.example"])

    assert InboundMail.objects.count() == 1


def test_a_message_over_the_size_limit_is_refused_with_552(receiver: int, mailbox: Mailbox) -> None:
    with pytest.raises(smtplib.SMTPResponseException) as refused:
        send(receiver, corpus.message(sender=FROM, body="x" * 300_000), to=["help@desk.example"])

    assert refused.value.smtp_code == 552
    assert not InboundMail.objects.exists()


def test_the_command_refuses_to_listen_beyond_loopback_unless_told() -> None:
    with pytest.raises(CommandError, match="not a loopback address"):
        call_command("run_smtp_receiver", "--host", "0.0.0.0", "--port", "2525")  # noqa: S104


def test_a_database_failure_while_checking_a_recipient_is_a_temporary_refusal(receiver: int) -> None:
    # The mailbox table is unreachable for a moment (as when the database is down).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE mail_mailbox RENAME TO mail_mailbox_away")
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(receiver, corpus.message(sender=FROM), to=["help@desk.example"])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE mail_mailbox_away RENAME TO mail_mailbox")

    assert refused.value.recipients["help@desk.example"][0] == 451


@pytest.mark.mailserver
def test_mail_relayed_by_postfix_waits_in_its_queue_while_the_receiver_is_down_and_arrives_once(
    postfix: MailServers, service_desk: Team, requester: User
) -> None:
    address = f"help-{postfix.relay_port}@{RELAY_DOMAIN}"
    mailbox = Mailbox.objects.create(name="Direct", address=address)
    raw = corpus.message(sender=FROM, subject="Relayed", to=address)
    # Nothing listens on the relay port yet: Postfix accepts the message and queues it.
    postfix.send(raw, sender="requester@example.com", recipients=[address])
    time.sleep(1.5)
    assert not InboundMail.objects.exists()

    controller = make_controller(host=LOOPBACK, port=postfix.relay_port)
    controller.start()
    try:
        # Postfix retries on its own within seconds here; the flush only spares a slow machine the backoff.
        postfix.flush_queue()
        deadline = time.monotonic() + 60
        # Stored, then processed after the commit (the jobs run inline in the tests) before the 250.
        while not InboundMail.objects.exclude(state=MailState.RECEIVED).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # Postfix has its 250 and does not come back
    finally:
        controller.stop()

    stored = list(InboundMail.objects.all())
    assert len(stored) == 1, f"{len(stored)} mails stored\n{postfix.queue_listing()}\n{postfix.postfix_log()}"
    mail = stored[0]
    assert (mail.mailbox, mail.source, mail.state) == (mailbox, MailSource.SMTP, MailState.PROCESSED)
    assert mail.ticket is not None
    assert mail.ticket.title == "Relayed"
    assert Ticket.objects.count() == 1
