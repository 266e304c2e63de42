"""The customer portal in a real browser: a requester follows her request and closes the loop (Chromium).

The pages are checked for Content-Security-Policy violations and script errors and for serious
accessibility problems (axe-core from the npm lock file); screenshots of every portal page in both
languages at desktop and phone width are saved as artefacts (var/screenshots, git-ignored).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.casework import actions as casework
from sopdesk.casework.choices import AuthorizationState
from sopdesk.casework.models import RemoteAssistanceAuthorization
from sopdesk.testing import factories
from sopdesk.tickets import actions
from sopdesk.tickets.choices import Status
from sopdesk.tickets.models import Ticket
from tests.conftest import (
    CHROMIUM,
    DESKTOP,
    HOSTILE,
    PASTE_SCREENSHOT,
    PHONE,
    SCREENSHOT_PNG,
    Watched,
    log_in,
    open_context,
    serious_accessibility_problems,
)

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_alice_answers_grants_remote_assistance_and_confirms_the_fix(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    team = factories.make_team("service-desk", is_intake=True)
    agent = factories.make_user("wang", role=Role.AGENT, teams=[team])
    organisation = factories.make_organization("Eastern Manufacturing")
    alice = factories.make_user("alice", organization=organisation)
    factories.make_user("bob", organization=factories.make_organization("Western Logistics"))
    now = timezone.now()
    ticket = factories.make_ticket(alice, title=HOSTILE, description="Blank pages since Monday.")
    factories.make_ticket(alice, title="New laptop for the intern")
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now)
    actions.add_comment(ticket, actor=agent, body="Which room is the printer in?", is_internal=False, now=now)
    actions.add_comment(ticket, actor=agent, body="Secret: toner supplier is late", is_internal=True, now=now)
    actions.change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=now)
    authorization = casework.request_remote_assistance(
        ticket,
        actor=agent,
        scope="Reinstall the printer driver",
        method="Remote desktop",
        ends_at=now + timedelta(hours=4),
        now=now,
    )

    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    contexts.append(context)
    watched = Watched(context)
    page = watched.page
    log_in(page, base_url, "alice")

    card = page.locator(".request-card", has_text="Printer")
    expect(card).to_contain_text("Waiting for you")
    assert page.evaluate("window.hacked") is None
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-list-en.png"), full_page=True)

    card.locator("a").click()
    page.wait_for_url(f"**/portal/requests/{ticket.number}/")
    expect(page.locator("h1")).to_have_text(HOSTILE)
    expect(page.locator("#waiting-for-you")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Which room is the printer in?")
    expect(page.locator("main")).not_to_contain_text("Secret: toner supplier")
    assert page.evaluate("window.hacked") is None
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-request-en.png"), full_page=True)

    # Reply: the wait ends and the request is worked on again.
    page.fill("#id_body", "Room 301, second floor.")
    page.evaluate(PASTE_SCREENSHOT, ["#id_body", SCREENSHOT_PNG])  # a screenshot pasted into the reply
    expect(page.locator("#reply [data-file-list]")).to_contain_text("screenshot-")
    expect(page.locator("#id_body")).to_have_value("Room 301, second floor.")
    page.click("#reply button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("sent to the support team")
    expect(page.locator("#request-status")).to_have_text("Being worked on")
    expect(page.locator("#timeline")).to_contain_text("Room 301, second floor.")
    expect(page.locator("#timeline")).to_contain_text("screenshot-")

    # Remote assistance: allowed until the time asked for (the field's default).
    section = page.locator(f"#authorization-{authorization.pk}")
    expect(section).to_contain_text("Reinstall the printer driver")
    section.locator("button:has-text('Allow')").click()
    expect(page.locator(".alert-success")).to_contain_text("Remote assistance allowed.")
    expect(page.locator(f"#authorization-{authorization.pk}")).to_contain_text("You allowed remote assistance")
    assert RemoteAssistanceAuthorization.objects.get(pk=authorization.pk).state == AuthorizationState.GRANTED

    # The engineer resolves; alice confirms and the request closes.
    ticket.refresh_from_db()
    actions.change_status(
        ticket,
        to_status=Status.RESOLVED,
        actor=agent,
        now=timezone.now(),
        closure=actions.ClosureSummary(
            problem="Blank pages", diagnosis="Old driver", solution="Reinstalled the driver"
        ),
    )
    page.reload()
    expect(page.locator("#resolution")).to_contain_text("Reinstalled the driver")
    page.click("#resolution button:has-text('Yes, solved')")
    expect(page.locator("#request-status")).to_have_text("Closed")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED

    # The same pages in Chinese, and the list at phone width.
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    expect(page.locator("#request-status")).to_have_text("已关闭")
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "portal-request-zh.png"), full_page=True)
    page.goto(f"{base_url}/portal/")
    expect(page.locator("h1")).to_have_text("我的请求")
    page.screenshot(path=str(screenshot_dir / "portal-list-zh.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "portal-list-zh-phone.png"), full_page=True)
    assert watched.problems == []

    # Bob of another organisation does not find alice's request.
    other = browser.new_context(locale="en-US")
    contexts.append(other)
    bob = Watched(other)
    log_in(bob.page, base_url, "bob")
    response = bob.page.goto(f"{base_url}/portal/requests/{ticket.number}/")
    assert response is not None
    assert response.status == 404


def test_every_portal_page_fits_a_desktop_and_a_phone_in_both_languages(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    team = factories.make_team("service-desk", is_intake=True)
    agent = factories.make_user("wang", role=Role.AGENT, teams=[team])
    alice = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    ticket = factories.make_ticket(
        alice,
        title="The second-floor printer prints blank pages after the driver update 打印机打印空白页",
        description="Every page comes out blank since Monday's update.\nThe display shows no error.",
    )
    factories.make_ticket(alice, title="New laptop for the intern")
    now = timezone.now()
    actions.assign_ticket(ticket, team=None, assignee=agent, actor=agent, now=now)
    actions.add_comment(ticket, actor=agent, body="Which room is the printer in?", is_internal=False, now=now)
    actions.change_status(ticket, to_status=Status.PENDING_CUSTOMER, actor=agent, now=now)
    casework.request_remote_assistance(
        ticket,
        actor=agent,
        scope="Reinstall the printer driver",
        method="Remote desktop",
        ends_at=now + timedelta(hours=4),
        now=now,
    )
    pages = {
        "list": "/portal/",
        "request": f"/portal/requests/{ticket.number}/",
        "new": "/portal/new/",
        "profile": "/portal/profile/",
    }

    for language, locale in (("en", "en-US"), ("zh", "zh-CN")):
        watched = open_context(browser, contexts, locale=locale)
        page = watched.page
        log_in(page, base_url, "alice")
        for name, path in pages.items():
            page.goto(f"{base_url}{path}")
            for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                page.screenshot(path=str(screenshot_dir / f"portal-{name}-{language}-{size}.png"), full_page=True)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], (name, language, size, width)
            page.set_viewport_size(DESKTOP)
        assert watched.problems == []
