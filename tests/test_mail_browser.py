"""Inbound mail in the agent workspace, in a real browser: the mail marker on the timeline, the original mail
with its HTML in a sandboxed frame (a hostile mail runs nothing), and the quarantine with "Process again".

Checked for Content-Security-Policy violations, script errors and serious accessibility problems;
screenshots of the original mail and the quarantine in English and Chinese (var/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.mail.choices import MailSource, MailState
from sopdesk.mail.intake import receive_raw
from sopdesk.mail.models import InboundMail, Mailbox
from sopdesk.mail.processing import process_mail
from sopdesk.testing import factories
from sopdesk.testing import mailcorpus as corpus
from tests.conftest import CHROMIUM, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def deliver(mailbox: Mailbox, raw: bytes, source: str) -> InboundMail:
    stored = receive_raw(mailbox=mailbox, raw=raw, source=source, now=timezone.now())
    return process_mail(stored.pk, now=timezone.now())


def test_an_admin_reads_a_hostile_mail_safely_and_clears_the_quarantine(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    factories.make_team("service-desk", is_intake=True)
    factories.make_user("admin", role=Role.ADMIN)
    chen = factories.make_user("chen", role=Role.ADMIN)
    chen.language = "zh-hans"
    chen.save(update_fields=["language"])
    factories.make_user("alice", email="alice@customer.example")
    mailbox = Mailbox.objects.create(name="Help", address="help@desk.example")
    raw = corpus.multipart(
        [
            corpus.text_part(
                corpus.HOSTILE_HTML.replace("Hello <b>team</b>", "打印机打不出字，<b>请帮忙</b>"), subtype="html"
            ),
            corpus.attachment_part(
                corpus.PNG_1X1, content_type="image/png", disposition='filename="logo.png"', inline=True,
                content_id="logo@client",
            ),
            corpus.attachment_part(corpus.SVG, content_type="image/svg+xml", disposition='filename="chart.svg"'),
        ],
        sender="Alice <alice@customer.example>",
        subject=corpus.encoded_word("三楼打印机 <script>window.hacked=1</script>", "gbk"),
        subtype="related",
    )  # fmt: skip
    mail = deliver(mailbox, raw, MailSource.IMAP)
    assert mail.ticket is not None
    for index in range(2):
        stranger = corpus.message(
            sender=f"Stranger {index} <stranger{index}@else.example>", subject=f"VPN 断线 {index}"
        )
        deliver(mailbox, stranger, MailSource.SMTP)
    for username, locale, suffix in (("chen", "zh-CN", "-zh"), ("admin", "en-US", "")):
        watched = open_context(browser, contexts, locale=locale)
        page = watched.page
        log_in(page, base_url, username)
        page.goto(f"{base_url}/desk/tickets/{mail.ticket.number}/")
        page.locator("a.timeline-mail").first.click()
        expect(page.locator("iframe.mail-frame")).to_be_visible()
        frame = page.frame_locator("iframe.mail-frame")
        expect(frame.locator("body")).to_contain_text("打印机打不出字")
        assert page.evaluate("window.hacked") is None
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / f"mail-original{suffix}.png"), full_page=True)
        page.goto(f"{base_url}/desk/mail/quarantine/")
        expect(page.locator("main table")).to_contain_text("stranger0@else.example")
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / f"mail-quarantine{suffix}.png"), full_page=True)
        assert watched.problems == []

    Mailbox.objects.filter(pk=mailbox.pk).update(allow_new_requesters=True)
    page.locator("main table form button[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert InboundMail.objects.filter(state=MailState.QUARANTINED).count() == 1
    assert watched.problems == []
