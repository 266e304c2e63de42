"""Phone calls in a real browser: an agent logs a call from the ticket page, then opens a new ticket by phone.

The pages are checked for CSP violations, script errors and serious accessibility problems, and
screenshots in both languages are saved as artefacts (var/screenshots, git-ignored).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.calls.models import PhoneCall
from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket
from tests.conftest import CHROMIUM, DESKTOP, HOSTILE, PHONE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_logs_calls_on_a_ticket_and_as_a_new_ticket(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    desk = factories.make_team("service-desk", is_intake=True)
    factories.make_user("wang", role=Role.AGENT, teams=[desk])
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    requester.phone = "+86 138 0013 8000"
    requester.save(update_fields=["phone"])
    ticket = factories.make_ticket(requester, title="VPN drops every hour")

    watched = open_context(browser, contexts)
    page = watched.page
    log_in(page, base_url, "wang")
    page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
    page.click("#log-call summary")
    page.fill("#id_call-caller_number", "138 0013 8000")
    ring = timezone.localtime(timezone.now() - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#id_call-ring_at", ring)
    page.fill("#id_call-answer_seconds", "42")
    page.fill("#id_call-talk_minutes", "6")
    page.select_option("#id_call-outcome", "follow_up")
    page.fill("#id_call-notes", HOSTILE)
    with page.expect_navigation():
        page.click("#log-call-form button[type=submit]")
    expect(page.locator("#calls-table")).to_contain_text("42 s")
    expect(page.locator("#timeline")).to_contain_text("Phone call logged")
    assert page.evaluate("window.hacked") is None
    assert PhoneCall.objects.get(ticket=ticket).answer_seconds == 42
    assert serious_accessibility_problems(page) == []
    page.locator("#calls").screenshot(path=str(screenshot_dir / "calls-ticket-en.png"))

    # The "log a call" entry point: a new phone ticket for the requester with the caller's number.
    page.click("#log-call-link")
    page.wait_for_url(f"{base_url}/desk/calls/new/")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    expect(page.locator("h1")).to_have_text("以新工单记录电话")
    page.fill("#id_call-title", "打印机卡纸")
    page.fill("#id_call-caller_number", "13800138000")
    page.fill("#id_call-answer_seconds", "8")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "calls-new-zh.png"), full_page=True)
    with page.expect_navigation():
        page.click("#new-call-form button[type=submit]")
    created = Ticket.objects.get(title="打印机卡纸")
    assert created.requester == requester
    assert created.channel == "phone"
    expect(page.locator("#calls-table")).to_contain_text("8")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(screenshot_dir / "calls-ticket-zh-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    page.goto(f"{base_url}/desk/calls/new/")
    page.screenshot(path=str(screenshot_dir / "calls-new-en.png"), full_page=True)
    assert watched.problems == []
