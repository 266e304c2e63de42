"""Workspace mail pages: the mail marker on the timeline, the original mail (safe HTML frame, downloads,
raw for admins only) and the quarantine with re-processing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.accounts.models import Team, User
from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.processing import process_mail
from sopdesk.testing import factories
from sopdesk.testing import mailcorpus as corpus
from sopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

FROM = "requester@example.com"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mailbox(service_desk: Team) -> Mailbox:
    return Mailbox.objects.create(name="Help", address="help@desk.example")


@pytest.fixture
def admin_user(db: None) -> User:
    return factories.make_user("admin", role=Role.ADMIN)


def deliver(mailbox: Mailbox, raw: bytes) -> InboundMail:
    mail = receive_raw(mailbox=mailbox, raw=raw, source=MailSource.IMAP, now=timezone.now())
    return process_mail(mail.pk, now=timezone.now())


def hostile_mail(mailbox: Mailbox) -> InboundMail:
    raw = corpus.multipart(
        [
            corpus.text_part(corpus.HOSTILE_HTML, subtype="html"),
            corpus.attachment_part(corpus.PNG_1X1, content_type="image/png", disposition='filename="logo.png"',
                                   inline=True, content_id="logo@client"),
            corpus.attachment_part(corpus.SVG, content_type="image/svg+xml", disposition='filename="chart.svg"'),
        ],
        sender=FROM,
        subtype="related",
        subject="Printer <script>alert(1)</script>",
    )  # fmt: skip
    return deliver(mailbox, raw)


def test_timeline_marks_mail_and_links_the_original(
    mailbox: Mailbox, requester: User, agent: User, service_desk: Team
) -> None:
    mail = hostile_mail(mailbox)
    assert mail.ticket is not None
    Ticket.objects.filter(pk=mail.ticket.pk).update(team=service_desk)
    html = client_for(agent).get(f"/desk/tickets/{mail.ticket.number}/").content.decode()
    assert f'href="/desk/mail/{mail.pk}/"' in html
    assert "by e-mail" in html
    assert "<script>alert" not in html


def test_original_mail_page_frames_the_sanitised_html(
    mailbox: Mailbox, requester: User, agent: User, service_desk: Team
) -> None:
    mail = hostile_mail(mailbox)
    assert mail.ticket is not None
    Ticket.objects.filter(pk=mail.ticket.pk).update(team=service_desk)
    client = client_for(agent)
    page = client.get(f"/desk/mail/{mail.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<iframe class="mail-frame" sandbox' in html
    assert "<script>alert" not in html
    assert "chart.svg" in html
    assert f"/desk/mail/{mail.pk}/raw/" not in html  # the raw is for administrators
    framed = client.get(f"/desk/mail/{mail.pk}/html/")
    assert framed["Content-Security-Policy"].endswith("sandbox")
    assert "default-src 'none'" in framed["Content-Security-Policy"]
    assert framed["X-Frame-Options"] == "SAMEORIGIN"
    body = framed.content.decode().lower()
    assert "<script" not in body
    assert "onerror" not in body
    assert "tracker.example" not in body
    assert 'src="data:image/png;base64,' in body  # the cid: image, from the mail itself
    assert body.count("<img") == 1  # the remote pixel is gone, not a broken picture
    assert "img-src data:" in framed["Content-Security-Policy"]
    assert client.get(f"/desk/mail/{mail.pk}/raw/").status_code == 403


def test_attachments_are_downloads_and_svg_never_inline(mailbox: Mailbox, requester: User, admin_user: User) -> None:
    mail = hostile_mail(mailbox)
    client = client_for(admin_user)
    png = client.get(f"/desk/mail/{mail.pk}/attachments/0/?inline=1")
    assert (png["Content-Type"], png["Content-Disposition"]) == ("image/png", "inline")
    svg = client.get(f"/desk/mail/{mail.pk}/attachments/1/?inline=1")
    assert svg["Content-Type"] == "application/octet-stream"
    assert svg["Content-Disposition"].startswith("attachment;")
    assert svg["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/desk/mail/{mail.pk}/attachments/9/").status_code == 404
    raw = client.get(f"/desk/mail/{mail.pk}/raw/")
    assert raw.status_code == 200
    assert raw.content == InboundMail.objects.get(pk=mail.pk).raw_bytes


def test_mail_of_a_ticket_the_agent_cannot_see_is_404(mailbox: Mailbox, requester: User, engineer: User) -> None:
    mail = hostile_mail(mailbox)
    client = client_for(engineer)
    assert client.get(f"/desk/mail/{mail.pk}/").status_code == 404
    assert client.get(f"/desk/mail/{mail.pk}/html/").status_code == 404


def test_quarantine_page_and_reprocess(mailbox: Mailbox, admin_user: User, agent: User) -> None:
    mail = deliver(mailbox, corpus.message(sender="stranger@else.example", subject="Help me"))
    assert mail.state == MailState.QUARANTINED
    client = client_for(admin_user)
    page = client.get("/desk/mail/quarantine/").content.decode()
    assert "Help me" in page
    assert "stranger@else.example" in page
    assert client_for(agent).get("/desk/mail/quarantine/").status_code == 403
    assert client_for(agent).post(f"/desk/mail/{mail.pk}/reprocess/").status_code == 403
    Mailbox.objects.filter(pk=mailbox.pk).update(allow_new_requesters=True)
    answer = client.post(f"/desk/mail/{mail.pk}/reprocess/", follow=True)
    assert answer.status_code == 200
    assert InboundMail.objects.get(pk=mail.pk).state == MailState.PROCESSED
    assert "The quarantine is empty." in answer.content.decode()
