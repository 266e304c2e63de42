"""Collaboration between teams in a real browser: one agent asks, the other team accepts from its inbox.

Both pages are checked for CSP violations, script errors and serious accessibility problems, and
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
from sopdesk.collaboration.choices import CollaborationState
from sopdesk.collaboration.models import CollaborationRequest
from sopdesk.testing import factories
from tests.conftest import CHROMIUM, HOSTILE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_asks_the_network_team_which_accepts_from_its_inbox(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    desk = factories.make_team("service-desk", is_intake=True)
    network = factories.make_team("network")
    factories.make_user("wang", role=Role.AGENT, teams=[desk])
    factories.make_user("zhao", role=Role.ENGINEER, teams=[network])
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    ticket = factories.make_ticket(requester, title="VPN drops every hour")

    asking = open_context(browser, contexts)
    page = asking.page
    log_in(page, base_url, "wang")
    page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
    page.click("#ask-another-team summary")
    page.select_option("#id_to_team", "network")
    page.fill("#id_needed", HOSTILE)
    page.fill("#id_deliverable", "Firewall rule for the VPN gateway")
    deadline = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_deadline_at", deadline)
    with page.expect_navigation():
        page.click("#ask-another-team button[type=submit]")
    request = CollaborationRequest.objects.get(ticket=ticket)
    expect(page.locator(f"#collaboration-{request.pk} [data-collaboration-state]")).to_have_text("Requested")
    assert page.evaluate("window.hacked") is None
    assert serious_accessibility_problems(page) == []
    page.locator("#collaboration").screenshot(path=str(screenshot_dir / "collaboration-ticket-en.png"))

    receiving = open_context(browser, contexts, locale="zh-CN")
    inbox = receiving.page
    log_in(inbox, base_url, "zhao")
    with inbox.expect_navigation():
        inbox.select_option("#language-select", "zh-hans")
    inbox.goto(f"{base_url}/desk/collaboration/")
    expect(inbox.locator("h1")).to_have_text("协作收件箱")
    assert inbox.evaluate("window.hacked") is None
    assert serious_accessibility_problems(inbox) == []
    inbox.screenshot(path=str(screenshot_dir / "collaboration-inbox-zh.png"), full_page=True)
    inbox.click(f"#collaboration-{request.pk} details:has(form[action$='/accept/']) summary")
    with inbox.expect_navigation():
        inbox.click(f"#collaboration-{request.pk} form[action$='/accept/'] button[type=submit]")
    expect(inbox.locator(".alert-success")).to_contain_text("申请已受理")
    request.refresh_from_db()
    assert request.state == CollaborationState.ACCEPTED
    with inbox.expect_navigation():
        inbox.select_option("#language-select", "en")
    inbox.screenshot(path=str(screenshot_dir / "collaboration-inbox-en.png"), full_page=True)

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
    expect(page.locator(f"#collaboration-{request.pk} [data-collaboration-state]")).to_have_text("已接受")
    page.locator("#collaboration").screenshot(path=str(screenshot_dir / "collaboration-ticket-zh.png"))
    assert asking.problems == []
    assert receiving.problems == []
