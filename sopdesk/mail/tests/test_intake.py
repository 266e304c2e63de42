"""Intake: the raw is stored once, in its own transaction, before anything parses it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import message_id_of, receive_raw
from sopdesk.mail.models import InboundMail, Mailbox

pytestmark = pytest.mark.django_db

RAW = b"From: a@example.com\r\nTo: help@desk.example\r\nSubject: hi\r\nMessage-ID: <abc@example.com>\r\n\r\nbody\r\n"


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


def test_the_raw_is_stored_as_received(mailbox: Mailbox) -> None:
    mail = receive_raw(mailbox=mailbox, raw=RAW, source=MailSource.IMAP, now=timezone.now(), server_uid="7")
    stored = InboundMail.objects.get(pk=mail.pk)
    assert stored.raw_bytes == RAW
    assert stored.message_id == "<abc@example.com>"
    assert stored.server_uid == "7"
    assert stored.size == len(RAW)


def test_the_same_message_twice_gives_one_row(mailbox: Mailbox) -> None:
    first = receive_raw(mailbox=mailbox, raw=RAW, source=MailSource.IMAP, now=timezone.now())
    # Delivered again through another transport, with one more trace header: still one row.
    again = receive_raw(mailbox=mailbox, raw=b"Received: by mx\r\n" + RAW, source=MailSource.SMTP, now=timezone.now())
    assert again.pk == first.pk
    assert InboundMail.objects.count() == 1


def test_without_message_id_the_bytes_key_the_row(mailbox: Mailbox) -> None:
    raw = b"From: a@example.com\r\nSubject: no id\r\n\r\nbody\r\n"
    first = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now())
    assert first.message_id == ""
    assert receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now()).pk == first.pk
    other = receive_raw(mailbox=mailbox, raw=raw + b"more\r\n", source=MailSource.UPLOAD, now=timezone.now())
    assert other.pk != first.pk
    assert InboundMail.objects.filter(state=MailState.RECEIVED).count() == 2


def test_message_id_of_hostile_headers() -> None:
    assert message_id_of(b"\xff\xfe\x00garbage") == ""
    assert message_id_of(b"Message-ID: no brackets\r\n\r\n") == ""
    long_id = b"<" + b"x" * 400 + b"@example.com>"
    found = message_id_of(b"Message-ID: " + long_id + b"\r\n\r\n")
    assert found.startswith("<sha256.")
    assert len(found) < 255
    assert message_id_of(b"Message-ID: " + long_id + b"\r\n\r\n") == found


def test_receive_raw_refuses_to_run_inside_another_transaction(mailbox: Mailbox) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic(durable=True):
        receive_raw(mailbox=mailbox, raw=RAW, source=MailSource.IMAP, now=timezone.now())
