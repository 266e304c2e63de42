"""Processing: the tricky-message corpus end to end, threading, loops, idempotency and injected faults."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone

from sopdesk.accounts.models import Team, User
from sopdesk.lib.mailthread import make_message_id
from sopdesk.mail import processing
from sopdesk.mail.actions import reprocess_mail
from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.testing import mailcorpus as corpus
from sopdesk.tickets.choices import Channel, EventKind, Status
from sopdesk.tickets.models import Attachment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

FROM = "Requester <requester@example.com>"


@pytest.fixture
def mailbox(service_desk: Team) -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


def deliver(mailbox: Mailbox, raw: bytes) -> InboundMail:
    """Store and process `raw` as the job would after the intake's commit."""
    mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.UPLOAD, now=timezone.now())
    return processing.process_mail(mail.pk, now=timezone.now())


def acks_to(address: str) -> int:
    return OutboxMessage.objects.filter(address__iexact=address).count()


def test_new_mail_from_a_requester_becomes_an_email_ticket_with_acknowledgement(
    mailbox: Mailbox, requester: User
) -> None:
    mail = deliver(mailbox, corpus.message(sender=FROM, subject="VPN down", body="Cannot connect since 9:00."))
    assert mail.state == MailState.PROCESSED
    ticket = mail.ticket
    assert ticket is not None
    assert (ticket.requester, ticket.channel, ticket.title) == (requester, Channel.EMAIL, "VPN down")
    assert ticket.description == "Cannot connect since 9:00."
    assert mail.event is not None
    assert mail.event.kind == EventKind.CREATED
    assert mail.acknowledged
    assert mail.headers["subject"] == "VPN down"
    assert acks_to("requester@example.com") == 1


def test_processing_twice_makes_one_ticket_and_one_acknowledgement(mailbox: Mailbox, requester: User) -> None:
    mail = deliver(mailbox, corpus.message(sender=FROM))
    again = processing.process_mail(mail.pk, now=timezone.now())
    duplicate = receive_raw(mailbox=mailbox, raw=mail.raw_bytes, source=MailSource.IMAP, now=timezone.now())
    processing.process_mail(duplicate.pk, now=timezone.now())
    assert again.ticket_id == mail.ticket_id
    assert Ticket.objects.count() == 1
    assert acks_to("requester@example.com") == 1


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "gb18030", "big5"])
def test_chinese_mail_becomes_a_ticket(mailbox: Mailbox, requester: User, charset: str) -> None:
    text = "打印机无法打印" if charset != "big5" else "印表機無法列印"
    mail = deliver(
        mailbox, corpus.message(sender=FROM, subject=corpus.encoded_word(text, charset), body=text, charset=charset)
    )
    assert mail.ticket is not None
    assert (mail.ticket.title, mail.ticket.description) == (text, text)


def test_unknown_sender_is_quarantined_unless_the_mailbox_creates_requesters(mailbox: Mailbox) -> None:
    mail = deliver(mailbox, corpus.message(sender="New Person <new@somewhere.example>"))
    assert mail.state == MailState.QUARANTINED
    assert "new@somewhere.example" in mail.error
    mailbox.allow_new_requesters = True
    mailbox.save()
    again = reprocess_mail(mail, actor=None, now=timezone.now())
    assert again.state == MailState.PROCESSED
    created = User.objects.get(email="new@somewhere.example")
    assert created.is_requester
    assert not created.has_usable_password()
    assert created.display_name == "New Person"
    assert again.ticket is not None
    assert again.ticket.requester == created


def test_sender_is_matched_case_insensitively(mailbox: Mailbox, requester: User) -> None:
    mail = deliver(mailbox, corpus.message(sender="REQUESTER@Example.COM"))
    assert mail.ticket is not None
    assert mail.ticket.requester == requester


def test_missing_from_is_quarantined_and_the_raw_kept(mailbox: Mailbox) -> None:
    raw = corpus.message(sender=None, message_id=None)
    mail = deliver(mailbox, raw)
    assert mail.state == MailState.QUARANTINED
    assert "From" in mail.error
    assert InboundMail.objects.get(pk=mail.pk).raw_bytes == raw


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        (FROM, {"Auto-Submitted": "auto-replied"}),  # out-of-office
        (FROM, {"Precedence": "bulk"}),
        (FROM, {"X-Autoreply": "yes"}),
        (FROM, {"X-Autorespond": "yes"}),
        ("MAILER-DAEMON@mx.example.com", {}),
        ("postmaster@example.com", {}),
        ("no-reply@example.com", {}),
        ("help@desk.example", {}),  # our own address: a loop
    ],
)
def test_auto_replies_and_bounces_are_ignored(
    mailbox: Mailbox, requester: User, sender: str, headers: dict[str, str]
) -> None:
    mail = deliver(mailbox, corpus.message(sender=sender, subject="Out of office", headers=headers))
    assert mail.state == MailState.IGNORED
    assert mail.error
    assert Ticket.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_delivery_report_is_ignored(mailbox: Mailbox, requester: User) -> None:
    status = (
        b"Content-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\nAction: failed\r\n"
    )
    raw = corpus.multipart(
        [corpus.text_part("Delivery failed"), status], sender=FROM, subtype='report; report-type="delivery-status"'
    )
    assert deliver(mailbox, raw).state == MailState.IGNORED
    assert Ticket.objects.count() == 0


def test_reply_by_subject_number_is_a_public_reply_with_attachments(mailbox: Mailbox, requester: User) -> None:
    ticket = factories.make_ticket(requester)
    raw = corpus.multipart(
        [
            corpus.text_part("Here is the log."),
            corpus.attachment_part(b"error 42\n", content_type="text/plain", disposition='filename="printer.log"'),
        ],
        sender=FROM,
        subject=f"Re: [{ticket.number}] Printer",
    )
    mail = deliver(mailbox, raw)
    assert mail.ticket == ticket
    assert mail.event is not None
    assert (mail.event.kind, mail.event.actor) == (EventKind.PUBLIC_REPLY, requester)
    assert mail.event.body == "Here is the log."
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.original_name == "printer.log"
    assert Ticket.objects.count() == 1


def test_reply_threads_by_our_message_id(mailbox: Mailbox, requester: User) -> None:
    ticket = factories.make_ticket(requester)
    ours = make_message_id(ticket_number=ticket.number, tag="e1", domain=processing.mail_domain())
    mail = deliver(mailbox, corpus.message(sender=FROM, subject="Re: your request", headers={"In-Reply-To": ours}))
    assert mail.ticket == ticket
    # A Message-ID of another domain naming the number does not count.
    foreign = f"<{ticket.number}.e1.abcd@elsewhere.example>"
    other = deliver(mailbox, corpus.message(sender=FROM, subject="Re: hello", headers={"References": foreign}))
    assert other.ticket != ticket


def test_reply_threads_by_the_requesters_own_first_mail(mailbox: Mailbox, requester: User) -> None:
    first = deliver(mailbox, corpus.message(sender=FROM, subject="Screen flickers"))
    follow = deliver(mailbox, corpus.message(sender=FROM, subject="more", headers={"References": first.message_id}))
    assert follow.ticket == first.ticket
    assert follow.event is not None
    assert follow.event.kind == EventKind.PUBLIC_REPLY


def test_someone_elses_ticket_number_makes_their_own_ticket(mailbox: Mailbox, requester: User, outsider: User) -> None:
    ticket = factories.make_ticket(requester)
    mail = deliver(mailbox, corpus.message(sender="outsider@example.com", subject=f"Re: [{ticket.number}]"))
    assert mail.ticket is not None
    assert mail.ticket != ticket
    assert mail.ticket.requester == outsider
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PUBLIC_REPLY).exists()


def test_reply_to_a_closed_ticket_opens_a_new_one_naming_it(mailbox: Mailbox, requester: User) -> None:
    old = factories.make_ticket(requester)
    Ticket.objects.filter(pk=old.pk).update(status=Status.CLOSED)
    mail = deliver(mailbox, corpus.message(sender=FROM, subject=f"Re: [{old.number}] Printer", body="Again broken."))
    assert mail.ticket is not None
    assert mail.ticket != old
    assert old.number in mail.ticket.description
    assert "Again broken." in mail.ticket.description


def test_hostile_html_mail_becomes_plain_text(mailbox: Mailbox, requester: User) -> None:
    raw = corpus.multipart([corpus.text_part(corpus.HOSTILE_HTML, subtype="html")], sender=FROM)
    mail = deliver(mailbox, raw)
    assert mail.ticket is not None
    assert "Hello team" in mail.ticket.description
    assert "alert" not in mail.ticket.description
    assert "<" not in mail.ticket.description


def test_svg_and_hostile_names_are_refused_or_made_safe(mailbox: Mailbox, requester: User) -> None:
    raw = corpus.multipart(
        [
            corpus.text_part("two files"),
            corpus.attachment_part(corpus.SVG, content_type="image/svg+xml", disposition='filename="chart.svg"'),
            corpus.attachment_part(
                b"plain\n", content_type="text/plain", disposition='filename="../../etc/\u202eevil.txt"'
            ),
        ],
        sender=FROM,
    )
    mail = deliver(mailbox, raw)
    assert mail.ticket is not None
    assert "chart.svg" in mail.ticket.description  # named as not accepted; it stays in the raw
    names = list(Attachment.objects.filter(ticket=mail.ticket).values_list("original_name", flat=True))
    assert names == ["evil.txt"]


def test_a_20_mb_message_is_processed_and_a_larger_one_quarantined(mailbox: Mailbox, requester: User) -> None:
    big = b"2026-12-06 09:00:00 line of a long log file\n" * (14 * 1024 * 1024 // 44)
    raw = corpus.multipart(
        [
            corpus.text_part("big log"),
            corpus.attachment_part(big, content_type="text/plain", disposition='filename="big.log"'),
        ],
        sender=FROM,
    )
    assert len(raw) > 19 * 1024 * 1024
    mail = deliver(mailbox, raw)
    assert mail.state == MailState.PROCESSED
    assert Attachment.objects.get(ticket=mail.ticket).size == len(big)
    with override_settings(SOPDESK_MAIL_MAX_BYTES=10 * 1024 * 1024):
        second = deliver(mailbox, raw.replace(b"Message-ID: <", b"Message-ID: <x"))
    assert second.state == MailState.QUARANTINED
    assert "too large" in second.error
    assert second.from_address == "requester@example.com"  # the header block is read for the quarantine list
    assert InboundMail.objects.get(pk=second.pk).size == len(raw) + 1


def test_acknowledgements_per_sender_are_rate_limited(mailbox: Mailbox, requester: User) -> None:
    with override_settings(SOPDESK_MAIL_ACKS_PER_HOUR=2):
        mails = [deliver(mailbox, corpus.message(sender=FROM, subject=f"Issue {n}")) for n in range(4)]
    assert [mail.acknowledged for mail in mails] == [True, True, False, False]
    assert Ticket.objects.count() == 4
    assert acks_to("requester@example.com") == 2


def test_mailbox_without_acknowledgement_sends_none(mailbox: Mailbox, requester: User) -> None:
    mailbox.send_acknowledgement = False
    mailbox.save()
    mail = deliver(mailbox, corpus.message(sender=FROM))
    assert mail.ticket is not None
    assert acks_to("requester@example.com") == 0


# --- fault injection ---------------------------------------------------------------------------


def test_failure_midway_writes_nothing_and_the_mail_can_be_processed_again(
    mailbox: Mailbox, requester: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while storing the attachment")

    raw = corpus.multipart(
        [
            corpus.text_part("log"),
            corpus.attachment_part(b"x\n", content_type="text/plain", disposition='filename="a.log"'),
        ],
        sender=FROM,
    )
    monkeypatch.setattr(processing, "add_attachment", broken)
    mail = deliver(mailbox, raw)
    assert mail.state == MailState.QUARANTINED
    assert "disk full" in mail.error
    assert Ticket.objects.count() == 0  # the ticket created before the failure was rolled back
    assert OutboxMessage.objects.count() == 0
    monkeypatch.undo()
    again = reprocess_mail(mail, actor=None, now=timezone.now())
    assert again.state == MailState.PROCESSED
    assert Ticket.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert acks_to("requester@example.com") == 1


def test_killed_worker_leaves_a_received_row_the_catch_up_processes_once(mailbox: Mailbox, requester: User) -> None:
    # Stored, then the worker died before its job ran: the row stays "received".
    mail = receive_raw(mailbox=mailbox, raw=corpus.message(sender=FROM), source=MailSource.IMAP, now=timezone.now())
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.RECEIVED
    assert processing.process_left_over(now=timezone.now()) == 0  # too fresh: its own job may still run
    later = timezone.now() + timedelta(minutes=5)
    assert processing.process_left_over(now=later) == 1
    assert processing.process_left_over(now=later) == 0
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PROCESSED
    assert Ticket.objects.count() == 1
    assert acks_to("requester@example.com") == 1


def test_database_locked_during_processing_leaves_it_received_for_the_retry(
    mailbox: Mailbox, requester: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = processing.create_ticket

    def locked(**kwargs: object) -> Ticket:
        raise OperationalError("database is locked")

    mail = receive_raw(mailbox=mailbox, raw=corpus.message(sender=FROM), source=MailSource.IMAP, now=timezone.now())
    monkeypatch.setattr(processing, "create_ticket", locked)
    with pytest.raises(OperationalError):
        processing.process_mail(mail.pk, now=timezone.now())
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.RECEIVED
    monkeypatch.setattr(processing, "create_ticket", real)
    assert processing.process_mail(mail.pk, now=timezone.now()).state == MailState.PROCESSED
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_really_locked_sqlite_database_leaves_the_mail_received_and_the_catch_up_processes_it(
    service_desk: Team, requester: User
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock")
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    raw = corpus.message(sender=FROM)
    # Stored as intake does, without its after-commit job: that job is what meets the lock below.
    mail = InboundMail.objects.create(
        mailbox=mailbox, source=MailSource.IMAP, message_id="<locked@client.example>", sha256="0" * 64,
        size=len(raw), raw=raw, received_at=timezone.now(),
    )  # fmt: skip
    options = connection.settings_dict["OPTIONS"]
    connection.close()
    connection.settings_dict["OPTIONS"] = {**options, "timeout": 0.3}
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        with pytest.raises(OperationalError, match="locked"):
            processing.process_mail(mail.pk, now=timezone.now())
        assert InboundMail.objects.get(pk=mail.pk).state == MailState.RECEIVED
        other.execute("ROLLBACK")
    finally:
        other.close()
        connection.close()
        connection.settings_dict["OPTIONS"] = options
    later = timezone.now() + timedelta(minutes=5)
    assert processing.process_left_over(now=later) == 1
    assert processing.process_left_over(now=later) == 0
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PROCESSED
    assert Ticket.objects.count() == 1
    assert acks_to("requester@example.com") == 1


def test_a_reply_leaves_the_quoted_history_out(mailbox: Mailbox, requester: User) -> None:
    ticket = factories.make_ticket(requester)
    body = (
        f"Restarted, works now.\n\nOn Sun, 6 Dec 2026, Service desk <help@desk.example> wrote:\n> [{ticket.number}] old"
    )
    mail = deliver(mailbox, corpus.message(sender=FROM, subject=f"Re: [{ticket.number}]", body=body))
    assert mail.event is not None
    assert mail.event.body.startswith("Restarted, works now.")
    assert "> [" not in mail.event.body
    assert "original mail" in mail.event.body


def test_intake_schedules_processing_after_its_commit(
    mailbox: Mailbox, requester: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        mail = receive_raw(mailbox=mailbox, raw=corpus.message(sender=FROM), source=MailSource.IMAP, now=timezone.now())
    assert len(callbacks) == 1
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.RECEIVED  # stored, not parsed yet
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()  # the commit happened: the job runs (inline in the tests)
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PROCESSED
    with django_capture_on_commit_callbacks() as again:
        receive_raw(mailbox=mailbox, raw=mail.raw_bytes, source=MailSource.IMAP, now=timezone.now())
    assert again == []  # a processed duplicate schedules nothing
    assert Ticket.objects.count() == 1


def test_a_mail_without_message_id_is_processed_once(mailbox: Mailbox, requester: User) -> None:
    raw = corpus.message(sender=FROM, message_id=None, subject="No id")
    first = deliver(mailbox, raw)
    second = deliver(mailbox, raw)
    assert first.pk == second.pk
    assert first.state == MailState.PROCESSED
    assert first.message_id == ""
    assert Ticket.objects.count() == 1
    assert acks_to("requester@example.com") == 1


def test_nul_and_control_characters_in_headers_are_stored_safely(mailbox: Mailbox, requester: User) -> None:
    raw = corpus.message(
        sender="Re\x00quester\x1b <requester@example.com>",
        subject="Printer\x00 on\x07 fire",
        message_id="<nul\x00id@client.example>",
        headers={"To": "help@desk.example\x00, x\x00@y.example", "X-Odd": "a\x00b"},
    )
    mail = deliver(mailbox, raw)
    assert mail.state == MailState.PROCESSED, mail.error
    assert mail.ticket is not None
    assert mail.ticket.title == "Printer on fire"
    assert "\x00" not in repr(InboundMail.objects.get(pk=mail.pk).headers)


def test_a_message_that_keeps_meeting_database_errors_ends_in_the_quarantine(
    mailbox: Mailbox, requester: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(**kwargs: object) -> Ticket:
        raise OperationalError("database is locked")

    stuck = receive_raw(mailbox=mailbox, raw=corpus.message(sender=FROM), source=MailSource.IMAP, now=timezone.now())
    monkeypatch.setattr(processing, "MAX_TRANSIENT_FAILURES", 3)
    monkeypatch.setattr(processing, "create_ticket", locked)
    later = timezone.now() + timedelta(minutes=5)
    for expected in (1, 2):
        assert processing.process_left_over(now=later) == 1  # the error does not escape the catch-up
        row = InboundMail.objects.get(pk=stuck.pk)
        assert (row.state, row.transient_failures) == (MailState.RECEIVED, expected)
    processing.process_left_over(now=later)
    row = InboundMail.objects.get(pk=stuck.pk)
    assert row.state == MailState.QUARANTINED
    assert "locked" in row.error


def test_an_invalid_sender_address_is_quarantined(mailbox: Mailbox) -> None:
    mailbox.allow_new_requesters = True
    mailbox.save()
    mail = deliver(mailbox, corpus.message(sender="Odd <odd@intranet>"))
    assert mail.state == MailState.QUARANTINED
    assert "not a valid e-mail address" in mail.error
    assert User.objects.filter(email__icontains="odd").count() == 0
