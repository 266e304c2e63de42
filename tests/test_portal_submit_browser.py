"""Asking for help in the portal in a real browser: alice reports a network problem with a pasted screenshot.

The page is checked for Content-Security-Policy violations, script errors and serious accessibility
problems (axe-core); screenshots of the form in both languages and of the confirmation are saved.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from sopdesk.testing import factories
from sopdesk.tickets.models import Ticket
from tests.conftest import (
    CHROMIUM,
    PASTE_SCREENSHOT,
    SCREENSHOT_PNG,
    log_in,
    open_context,
    serious_accessibility_problems,
)

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_alice_asks_for_help_with_a_pasted_screenshot_and_sees_the_confirmation(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    factories.make_team("service-desk", is_intake=True)
    factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    watched = open_context(browser, contexts)
    page = watched.page
    log_in(page, base_url, "alice")

    page.click("a.nav-link:has-text('Ask for help')")
    expect(page.locator("h1")).to_have_text("Ask for help")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-new-en.png"), full_page=True)
    page.select_option("#id_category", label="网络 Network")
    page.fill("#id_title", "Wi-Fi drops every few minutes")
    page.fill("#id_description", "Since this morning the meeting room loses the connection.")
    page.select_option("#id_impact", "multiple_users")
    page.select_option("#id_urgency", "high")
    expect(page.locator("#expected-response")).to_contain_text("We will answer within")
    page.click("button:has-text('Next')")

    expect(page.locator("h1 + p")).to_contain_text("Step 2 of 2")
    page.fill("#id_network_environment", "Office Wi-Fi, 5 GHz")
    page.get_by_label("位置 Location (building, floor, room)").fill("Building B, floor 3, room 301")
    page.evaluate(PASTE_SCREENSHOT, ["#id_network_environment", SCREENSHOT_PNG])
    expect(page.locator("[data-file-list]")).to_contain_text("screenshot-")
    assert serious_accessibility_problems(page) == []
    page.click("button:has-text('Send request')")

    page.wait_for_url(re.compile(r".*/portal/new/TS-\d{4}-\d+/$"))
    ticket = Ticket.objects.get()
    expect(page.locator(".ticket-number")).to_have_text(ticket.number)
    expect(page.locator("main")).to_contain_text("Service hours")
    assert ticket.attachments.get().original_name.startswith("screenshot-")
    assert ticket.network_environment == "Office Wi-Fi, 5 GHz"
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-confirmation-en.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "portal-confirmation-phone-en.png"), full_page=True)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base_url}/portal/new/")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    expect(page.locator("h1")).to_have_text("寻求帮助")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-new-zh.png"), full_page=True)
    assert watched.problems == []
