"""The inbound mail API, the admin (mailboxes through audited actions, password write-only) and import_eml."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import ApiClientFactory
from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.audit.models import ConfigChange
from sopdesk.core.validation import ValidationFailed
from sopdesk.mail import actions
from sopdesk.mail.choices import MailState
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.testing import factories
from sopdesk.testing import mailcorpus as corpus
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

FROM = "requester@example.com"


@pytest.fixture
def admin_user(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


@pytest.fixture
def mailbox(service_desk: Team) -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


def upload(client: Client, mailbox: Mailbox, raw: bytes) -> object:
    return client.post(
        f"/api/v1/mail/mailboxes/{mailbox.pk}/messages", {"file": SimpleUploadedFile("m.eml", raw, "message/rfc822")}
    )


# --- API -----------------------------------------------------------------------------------------


def test_upload_list_and_reprocess(
    api_client: ApiClientFactory, admin_user: User, mailbox: Mailbox, requester: User
) -> None:
    client = api_client(admin_user)
    good = upload(client, mailbox, corpus.message(sender=FROM, subject="Upload"))
    assert good.status_code == 201, good.content  # type: ignore[attr-defined]
    body = good.json()  # type: ignore[attr-defined]
    assert body["state"] == "processed"
    assert body["ticket"] == Ticket.objects.get().number
    again = upload(client, mailbox, corpus.message(sender=FROM, message_id=body["message_id"]))
    assert again.json()["id"] == body["id"]  # type: ignore[attr-defined]
    bad = upload(client, mailbox, corpus.message(sender="stranger@else.example")).json()  # type: ignore[attr-defined]
    assert bad["state"] == "quarantined"
    listed = client.get("/api/v1/mail/inbound?state=quarantined").json()
    assert [item["id"] for item in listed["items"]] == [bad["id"]]
    assert client.post(f"/api/v1/mail/inbound/{body['id']}/reprocess").status_code == 422
    actions.update_mailbox(mailbox, actor=admin_user, changes={"allow_new_requesters": True}, now=timezone.now())
    redone = client.post(f"/api/v1/mail/inbound/{bad['id']}/reprocess")
    assert redone.status_code == 200
    assert redone.json()["state"] == "processed"


def test_list_query_count_does_not_grow(api_client: ApiClientFactory, admin_user: User, mailbox: Mailbox) -> None:
    client = api_client(admin_user)
    from sopdesk.mail.intake import receive_raw

    receive_raw(mailbox=mailbox, raw=corpus.message(), source="upload", now=timezone.now())
    client.get("/api/v1/mail/inbound")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/mail/inbound").status_code == 200
    for _ in range(5):
        receive_raw(mailbox=mailbox, raw=corpus.message(), source="upload", now=timezone.now())
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/mail/inbound").json()["items"]) == 6
    assert len(six) == len(one)


def test_only_administrators(api_client: ApiClientFactory, agent: User, mailbox: Mailbox) -> None:
    client = api_client(agent)
    assert client.get("/api/v1/mail/inbound").status_code == 403
    assert upload(client, mailbox, corpus.message()).status_code == 403  # type: ignore[attr-defined]
    assert InboundMail.objects.count() == 0


# --- actions and admin ----------------------------------------------------------------------


def test_mailbox_actions_audit_without_the_password(admin_user: User) -> None:
    values = {"name": "Support", "address": "support@desk.example", "imap_host": "imap.desk.example",
              "imap_username": "support", "imap_password": "s3cret-value"}  # fmt: skip
    mailbox = actions.create_mailbox(actor=admin_user, values=values, now=timezone.now())
    actions.update_mailbox(mailbox, actor=admin_user, changes={"imap_password": "other-secret"}, now=timezone.now())
    actions.update_mailbox(mailbox, actor=admin_user, changes={"imap_password": ""}, now=timezone.now())
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "other-secret"  # empty keeps it
    changes = list(ConfigChange.objects.filter(object_type="mail.mailbox").order_by("id"))
    assert len(changes) == 2
    assert changes[1].after == {"imap_password": actions.SECRET_CHANGED}
    logged = repr([(change.before, change.after) for change in changes])
    assert "s3cret" not in logged
    assert "other-secret" not in logged


def test_plain_imap_only_for_loopback(admin_user: User) -> None:
    values = {"name": "X", "address": "x@desk.example", "imap_host": "mail.example.com", "imap_security": "plain"}
    with pytest.raises(ValidationFailed) as refused:
        actions.create_mailbox(actor=admin_user, values=values, now=timezone.now())
    assert "imap_security" in refused.value.errors
    for host in ("127.0.0.1", "localhost", "::1"):
        values = {**values, "name": host, "address": f"{host.replace(':', 'v')}@desk.example", "imap_host": host}
        actions.create_mailbox(actor=admin_user, values=values, now=timezone.now())


def test_admin_never_shows_the_password(admin_user: User, client: Client) -> None:
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    mailbox = actions.create_mailbox(
        actor=admin_user,
        values={"name": "S", "address": "s@desk.example", "imap_password": "hidden-pass-123"},
        now=timezone.now(),
    )
    page = client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/")
    assert page.status_code == 200
    assert b"hidden-pass-123" not in page.content


def test_admin_reprocess_action(admin_user: User, client: Client, mailbox: Mailbox, requester: User) -> None:
    from sopdesk.mail.intake import receive_raw
    from sopdesk.mail.processing import process_mail

    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    mail = receive_raw(
        mailbox=mailbox, raw=corpus.message(sender="who@else.example"), source="upload", now=timezone.now()
    )
    assert process_mail(mail.pk, now=timezone.now()).state == MailState.QUARANTINED
    Mailbox.objects.filter(pk=mailbox.pk).update(allow_new_requesters=True)
    answer = client.post(
        "/admin/mail/inboundmail/", {"action": "reprocess", "_selected_action": [str(mail.pk)]}, follow=True
    )
    assert answer.status_code == 200
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PROCESSED
    assert client.get("/admin/mail/inboundmail/").status_code == 200


# --- import_eml ---------------------------------------------------------------------------------


def test_import_eml(tmp_path: Path, mailbox: Mailbox, requester: User, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(corpus.message(sender=FROM, subject="From a file"))
    bounce = tmp_path / "bounce.eml"
    bounce.write_bytes(corpus.message(sender="MAILER-DAEMON@mx.example"))
    call_command("import_eml", str(good), str(bounce), str(good), "--mailbox", "help@desk.example")
    out = capsys.readouterr().out
    assert "[1/3]" in out
    assert Ticket.objects.get().number in out
    assert InboundMail.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("import_eml", str(tmp_path / "missing.eml"), "--mailbox", "Help")
    with pytest.raises(CommandError):
        call_command("import_eml", str(good), "--mailbox", "nope")


def test_admin_creates_and_changes_a_mailbox_through_the_actions(admin_user: User, client: Client) -> None:
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    form = {
        "name": "Support", "address": "support@desk.example", "is_active": "on", "imap_host": "imap.desk.example",
        "imap_port": "993", "imap_security": "tls", "imap_username": "support", "imap_password": "first-secret",
        "imap_folder": "INBOX", "after_fetch": "flag", "processed_folder": "", "send_acknowledgement": "on",
        "default_category": "",
    }  # fmt: skip
    assert client.post("/admin/mail/mailbox/add/", form).status_code == 302
    mailbox = Mailbox.objects.get(name="Support")
    assert mailbox.imap_password == "first-secret"
    changed = client.post(f"/admin/mail/mailbox/{mailbox.pk}/change/", {**form, "imap_password": "", "name": "Desk"})
    assert changed.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.imap_password) == ("Desk", "first-secret")
    refused = client.post(
        f"/admin/mail/mailbox/{mailbox.pk}/change/", {**form, "imap_security": "plain", "imap_host": "mail.example.com"}
    )
    assert refused.status_code == 200
    assert "loopback" in refused.content.decode()
    logged = repr(list(ConfigChange.objects.filter(object_type="mail.mailbox").values_list("before", "after")))
    assert "first-secret" not in logged
    assert ConfigChange.objects.filter(object_type="mail.mailbox").count() == 2


def test_inbound_mail_admin_is_read_only_and_escapes(
    client: Client, admin_user: User, mailbox: Mailbox, requester: User
) -> None:
    from sopdesk.mail.intake import receive_raw
    from sopdesk.mail.processing import process_mail

    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    admin_client = client
    raw = corpus.message(sender=FROM, subject="<script>alert(1)</script>")
    mail = process_mail(
        receive_raw(mailbox=mailbox, raw=raw, source="upload", now=timezone.now()).pk, now=timezone.now()
    )
    detail = admin_client.get(f"/admin/mail/inboundmail/{mail.pk}/change/")
    assert detail.status_code == 200
    assert b"<script>alert(1)</script>" not in detail.content
    assert admin_client.get(f"/admin/mail/inboundmail/{mail.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/mail/inboundmail/add/").status_code == 403
    assert admin_client.get(f"/admin/mail/mailbox/{mailbox.pk}/delete/").status_code == 403
