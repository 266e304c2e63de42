"""The IMAP poller against real servers: Postfix delivers into Dovecot, the poller fetches over IMAP and IMAPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from huey.contrib.djhuey import HUEY

from sopdesk.mail.choices import AfterFetch, ImapSecurity, MailSource
from sopdesk.mail.imap import (
    STORED_KEYWORD,
    connect,
    mark_taken,
    new_uids,
    poll_active_mailboxes,
    poll_mailbox,
    select_folder,
)
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.testing.mailservers import CUSTOMER_DOMAIN, LOOPBACK, PASSWORD, MailServers

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_mail(*, to: str, subject: str, message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"alice@{CUSTOMER_DOMAIN}"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{subject.replace(' ', '.')}.{id(to)}@{CUSTOMER_DOMAIN}>"
    message.set_content(f"{subject}: 打印机不工作了。")
    return bytes(message)


def make_mailbox(servers: MailServers, *, security: str = ImapSecurity.PLAIN, **fields: Any) -> Mailbox:
    address = servers.new_address("support")
    port = servers.imaps_port if security == ImapSecurity.TLS else servers.imap_port
    return Mailbox.objects.create(
        name=address,
        address=address,
        imap_host=LOOPBACK,
        imap_port=port,
        imap_security=security,
        imap_username=address,
        imap_password=PASSWORD,
        **fields,
    )


def server_flags(servers: MailServers, address: str, *, folder: str = "INBOX") -> list[str]:
    """Return each message's flags in `folder`, oldest first (read-only: nothing changes)."""
    session = servers.imap(address)
    try:
        session.select(folder, readonly=True)
        _, data = session.uid("FETCH", "1:*", "(FLAGS)")
        return [item.decode() for item in data if isinstance(item, bytes)]
    finally:
        session.logout()


def test_mail_delivered_through_postfix_is_stored_once_and_flagged_after_storing(postfix: MailServers) -> None:
    mailbox = make_mailbox(postfix)
    raw = make_mail(to=mailbox.address, subject="printer broken")
    postfix.send(raw, sender=f"alice@{CUSTOMER_DOMAIN}", recipients=[mailbox.address])
    postfix.wait_for_messages(mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert (report.fetched_count, report.stored_count, report.marked_count, report.error) == (1, 1, 1, "")
    stored = InboundMail.objects.get(mailbox=mailbox)
    assert stored.source == MailSource.IMAP
    assert b"Subject: printer broken" in stored.raw_bytes
    assert b"by mail.desk.test (Postfix)" in stored.raw_bytes  # it came through Postfix
    assert stored.server_uid.endswith(":1")
    [flags] = server_flags(postfix, mailbox.address)
    assert "\\Seen" in flags
    assert STORED_KEYWORD in flags
    mailbox.refresh_from_db()
    assert (mailbox.last_polled_at, mailbox.last_error) == (NOW, "")
    # Polled again: nothing new.
    again = poll_mailbox(mailbox, now=NOW + timedelta(minutes=1))
    assert (again.fetched_count, again.stored_count) == (0, 0)
    assert InboundMail.objects.filter(mailbox=mailbox).count() == 1


def test_imaps_verifies_the_certificate_and_fetches(mail_servers: MailServers, settings: Any) -> None:
    settings.SOPDESK_MAIL_CA_FILE = str(mail_servers.cert_file)
    mailbox = make_mailbox(mail_servers, security=ImapSecurity.TLS)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="over tls"), recipient=mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert (report.stored_count, report.error) == (1, "")


def test_starttls_upgrades_the_plain_port_and_verifies_the_certificate(
    mail_servers: MailServers, settings: Any
) -> None:
    settings.SOPDESK_MAIL_CA_FILE = str(mail_servers.cert_file)
    mailbox = make_mailbox(mail_servers, security=ImapSecurity.STARTTLS)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="starttls"), recipient=mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert (report.stored_count, report.error) == (1, "")
    settings.SOPDESK_MAIL_CA_FILE = ""
    assert "CERTIFICATE_VERIFY_FAILED" in poll_mailbox(mailbox, now=NOW).error


def test_an_untrusted_certificate_is_refused_recorded_and_the_mail_left_on_the_server(
    mail_servers: MailServers, settings: Any
) -> None:
    settings.SOPDESK_MAIL_CA_FILE = ""
    mailbox = make_mailbox(mail_servers, security=ImapSecurity.TLS)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="untrusted"), recipient=mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert "CERTIFICATE_VERIFY_FAILED" in report.error
    mailbox.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.last_error
    assert not InboundMail.objects.filter(mailbox=mailbox).exists()
    [flags] = server_flags(mail_servers, mailbox.address)
    assert "\\Seen" not in flags


def test_plain_imap_to_a_host_that_is_not_loopback_is_refused_before_connecting(db: None) -> None:
    mailbox = Mailbox.objects.create(
        name="Remote",
        address="help@remote.example",
        imap_host="mail.remote.example",
        imap_port=143,
        imap_security=ImapSecurity.PLAIN,
        imap_username="help",
        imap_password="secret",
    )

    report = poll_mailbox(mailbox, now=NOW)

    assert report.error == "ImapError: Plain IMAP is allowed only for a loopback host."


def test_a_wrong_password_is_recorded_and_nothing_is_lost(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="kept"), recipient=mailbox.address)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong")
    mailbox.refresh_from_db()

    report = poll_mailbox(mailbox, now=NOW)

    assert "AUTHENTICATIONFAILED" in report.error
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password=PASSWORD)
    mailbox.refresh_from_db()
    assert poll_mailbox(mailbox, now=NOW).stored_count == 1


def test_a_poll_that_dies_after_storing_leaves_the_message_unflagged_and_the_next_poll_stores_nothing_twice(
    mail_servers: MailServers,
) -> None:
    mailbox = make_mailbox(mail_servers)
    for subject in ("first", "second"):
        mail_servers.deliver(make_mail(to=mailbox.address, subject=subject), recipient=mailbox.address)

    def die(uid: str) -> None:
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError, match="worker killed"):
        poll_mailbox(mailbox, now=NOW, after_store=die)

    # The first message is stored, neither is marked on the server.
    assert InboundMail.objects.filter(mailbox=mailbox).count() == 1
    assert all("\\Seen" not in flags for flags in server_flags(mail_servers, mailbox.address))
    mailbox.refresh_from_db()
    assert "worker killed" in mailbox.last_error

    report = poll_mailbox(mailbox, now=NOW + timedelta(minutes=1))

    assert (report.fetched_count, report.stored_count, report.marked_count) == (2, 1, 2)
    assert InboundMail.objects.filter(mailbox=mailbox).count() == 2
    assert all(STORED_KEYWORD in flags for flags in server_flags(mail_servers, mailbox.address))


def test_a_message_read_in_a_mail_client_before_the_poll_is_still_fetched(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="read already"), recipient=mailbox.address)
    session = mail_servers.imap(mailbox.address)
    session.select("INBOX")
    session.uid("STORE", "1", "+FLAGS", "(\\Seen)")
    session.logout()

    assert poll_mailbox(mailbox, now=NOW).stored_count == 1


def test_the_same_message_twice_in_the_mailbox_is_stored_once(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    raw = make_mail(to=mailbox.address, subject="twice", message_id=f"<twice@{CUSTOMER_DOMAIN}>")
    mail_servers.deliver(raw, recipient=mailbox.address)
    mail_servers.deliver(raw, recipient=mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert (report.fetched_count, report.stored_count, report.marked_count) == (2, 1, 2)
    assert InboundMail.objects.filter(message_id=f"<twice@{CUSTOMER_DOMAIN}>").count() == 1


def test_move_mode_moves_stored_mail_to_the_processed_folder(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers, after_fetch=AfterFetch.MOVE, processed_folder="Processed")
    for subject in ("one", "two", "three"):
        mail_servers.deliver(make_mail(to=mailbox.address, subject=subject), recipient=mailbox.address)

    report = poll_mailbox(mailbox, now=NOW)

    assert (report.stored_count, report.marked_count, report.error) == (3, 3, "")
    assert mail_servers.fetch_all(mailbox.address) == []
    assert len(mail_servers.fetch_all(mailbox.address, folder="Processed")) == 3


def test_a_poll_takes_at_most_its_batch_and_the_next_poll_the_rest(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    for index in range(5):
        mail_servers.deliver(make_mail(to=mailbox.address, subject=f"batch {index}"), recipient=mailbox.address)

    first = poll_mailbox(mailbox, now=NOW, max_messages=3)
    second = poll_mailbox(mailbox, now=NOW + timedelta(minutes=1), max_messages=3)

    assert (first.stored_count, first.has_more, second.stored_count, second.has_more) == (3, True, 2, False)


def test_polling_all_mailboxes_skips_inactive_ones_and_survives_a_broken_one(mail_servers: MailServers) -> None:
    working, inactive = make_mailbox(mail_servers), make_mailbox(mail_servers, is_active=False)
    broken = make_mailbox(mail_servers)
    Mailbox.objects.filter(pk=broken.pk).update(imap_port=1)
    for mailbox in (working, inactive):
        mail_servers.deliver(make_mail(to=mailbox.address, subject="hello"), recipient=mailbox.address)

    reports = poll_active_mailboxes(now=NOW)

    assert reports[working.pk].stored_count == 1
    assert inactive.pk not in reports
    assert "ConnectionRefusedError" in reports[broken.pk].error


def test_a_mailbox_another_worker_is_polling_is_skipped(db: None) -> None:
    mailbox = Mailbox.objects.create(
        name="Busy", address="busy@desk.test", imap_host=LOOPBACK, imap_port=1, imap_username="busy"
    )

    with HUEY.lock_task(f"mail-poll-{mailbox.pk}"):
        reports = poll_active_mailboxes(now=NOW, lock=HUEY.lock_task)

    assert reports == {}
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is None
    # Once the other worker is done, the next run polls it (and records its failure).
    assert "ConnectionRefusedError" in poll_active_mailboxes(now=NOW, lock=HUEY.lock_task)[mailbox.pk].error


def test_the_poll_command_fetches_now_and_reports_failures(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    mail_servers.deliver(make_mail(to=mailbox.address, subject="by command"), recipient=mailbox.address)
    out = StringIO()

    call_command("poll_mailboxes", "--mailbox", mailbox.address, stdout=out)

    assert f"{mailbox.name}: 1 fetched, 1 new" in out.getvalue()
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=1)
    with pytest.raises(CommandError, match="could not be polled"):
        call_command("poll_mailboxes", "--mailbox", mailbox.name, stdout=out, stderr=StringIO())


def test_a_server_without_move_gets_copy_delete_and_expunge(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers, after_fetch=AfterFetch.MOVE, processed_folder="Done")
    for subject in ("old server one", "old server two"):
        mail_servers.deliver(make_mail(to=mailbox.address, subject=subject), recipient=mailbox.address)
    session = connect(mailbox)
    try:
        # As an older server would announce itself: no MOVE extension.
        session.capabilities = tuple(item for item in session.capabilities if item != "MOVE")
        session.select("INBOX")
        session.create('"Done"')
        mark_taken(session, mailbox, new_uids(session, mailbox))
    finally:
        session.logout()

    assert mail_servers.fetch_all(mailbox.address) == []
    assert len(mail_servers.fetch_all(mailbox.address, folder="Done")) == 2


def test_the_extensions_a_server_announces_after_login_are_known(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    session = connect(mailbox)
    try:
        assert {"MOVE", "UIDPLUS"} <= set(session.capabilities)
    finally:
        session.logout()


def test_on_a_server_without_keywords_flag_mode_goes_by_seen(mail_servers: MailServers) -> None:
    mailbox = make_mailbox(mail_servers)
    for subject in ("kw one", "kw two"):
        mail_servers.deliver(make_mail(to=mailbox.address, subject=subject), recipient=mailbox.address)
    session = connect(mailbox)
    try:
        assert select_folder(session, mailbox).has_keywords  # Dovecot keeps keywords; older servers may not
        first = new_uids(session, mailbox, has_keywords=False)
        mark_taken(session, mailbox, first[:1], has_keywords=False)
        rest = new_uids(session, mailbox, has_keywords=False)
    finally:
        session.logout()

    assert (len(first), rest) == (2, first[1:])
    flags = server_flags(mail_servers, mailbox.address)
    assert "\\Seen" in flags[0]
    assert STORED_KEYWORD not in flags[0]
