"""The test mail servers themselves: Postfix delivers into Dovecot, read back over IMAP and verified IMAPS."""

from __future__ import annotations

import imaplib
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from sopdesk.testing.mailservers import CUSTOMER_DOMAIN, LOOPBACK, MailServers

pytestmark = pytest.mark.mailserver


def _message(*, to: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"alice@{CUSTOMER_DOMAIN}"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@{CUSTOMER_DOMAIN}>"
    message.set_content("打印机坏了 — the printer is broken.")
    return bytes(message)


def test_mail_sent_through_postfix_arrives_in_the_dovecot_mailbox(postfix: MailServers) -> None:
    support = postfix.new_address("support")
    postfix.send(_message(to=support, subject="printer one"), sender=f"alice@{CUSTOMER_DOMAIN}", recipients=[support])

    postfix.wait_for_messages(support)

    [raw] = postfix.fetch_all(support)
    received = message_from_bytes(raw, policy=policy.default)
    assert received["Subject"] == "printer one"
    assert "打印机坏了" in received.get_body().get_content()  # type: ignore[union-attr]


def test_mailboxes_of_two_addresses_are_separate(mail_servers: MailServers) -> None:
    first, second = mail_servers.new_address("one"), mail_servers.new_address("two")

    mail_servers.deliver(_message(to=first, subject="for one"), recipient=first)

    assert len(mail_servers.fetch_all(first)) == 1
    assert mail_servers.fetch_all(second) == []


def test_imaps_certificate_verifies_against_the_servers_own_authority(mail_servers: MailServers) -> None:
    address = mail_servers.new_address("tls")
    mail_servers.deliver(_message(to=address, subject="over tls"), recipient=address)

    session = mail_servers.imap(address, tls=True)
    try:
        status, data = session.select("INBOX", readonly=True)
    finally:
        session.logout()

    assert (status, data) == ("OK", [b"1"])


def test_imaps_refuses_a_client_that_does_not_trust_the_test_certificate(mail_servers: MailServers) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(LOOPBACK, mail_servers.imaps_port, ssl_context=ssl.create_default_context(), timeout=10)


def test_smtp_down_refuses_connections_then_delivers_again(postfix: MailServers) -> None:
    address = postfix.new_address("outage")
    with postfix.smtp_down(), pytest.raises(ConnectionRefusedError):
        postfix.send(_message(to=address, subject="refused"), sender=f"alice@{CUSTOMER_DOMAIN}", recipients=[address])

    postfix.send(_message(to=address, subject="accepted"), sender=f"alice@{CUSTOMER_DOMAIN}", recipients=[address])

    postfix.wait_for_messages(address)
    assert len(postfix.fetch_all(address)) == 1
