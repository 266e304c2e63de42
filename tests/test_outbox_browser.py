"""The outbox page in a real browser: a webhook that kept failing is a dead letter; the administrator sends it again.

Checked for Content-Security-Policy violations, script errors and serious accessibility problems;
screenshots in both languages and at phone width are saved as artefacts (var/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.integrations.actions import create_chat_robot, create_webhook
from sopdesk.notifications.choices import DeliveryStatus
from sopdesk.notifications.delivery import MAX_ATTEMPTS, deliver_due
from sopdesk.notifications.models import OutboxMessage
from sopdesk.testing import factories
from sopdesk.testing.http_receiver import Receiver
from tests.conftest import CHROMIUM, PHONE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_administrator_finds_the_dead_letters_and_sends_them_again(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url, now = str(live_server), timezone.now()
    team = factories.make_team("service-desk", is_intake=True)
    admin = factories.make_user("admin", role=Role.ADMIN)
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    with Receiver("webhook", secret="webhook-secret") as receiver, Receiver("dingtalk", secret="SECding") as robot:
        create_webhook(
            actor=admin,
            values={"name": "CMDB", "url": receiver.url, "secret": "webhook-secret", "events": ["ticket_created"]},
            now=now,
        )
        create_chat_robot(
            actor=admin,
            values={
                "name": "服务台钉钉群",
                "team": team,
                "platform": "dingtalk",
                "webhook_url": robot.url,
                "secret": "SECding",
                "events": ["ticket_created"],
            },
            now=now,
        )
        for _ in range(2 * MAX_ATTEMPTS):
            receiver.answer_next(500, {"error": "maintenance"})
        for title in ("VPN drops every hour", "打印机无法打印"):
            factories.make_ticket(requester, title=title)
        while OutboxMessage.objects.filter(channel="webhook", status=DeliveryStatus.PENDING).exists():
            due = OutboxMessage.objects.filter(status=DeliveryStatus.PENDING).order_by("next_attempt_at").first()
            assert due is not None
            deliver_due(now=due.next_attempt_at)
        assert OutboxMessage.objects.filter(channel="webhook", status=DeliveryStatus.FAILED).count() == 2
        assert OutboxMessage.objects.filter(channel="dingtalk", status=DeliveryStatus.SENT).count() == 2

        watched = open_context(browser, contexts)
        page = watched.page
        log_in(page, base_url, "admin")
        page.click("a[href='/desk/outbox/']")
        expect(page.locator("h1")).to_contain_text("Outbox")
        page.get_by_role("link", name="Dead letters", exact=True).click()
        page.wait_for_url("**/desk/outbox/?status=failed")
        expect(page.locator(".outbox-table tbody tr")).to_have_count(2)
        expect(page.locator(".outbox-table")).to_contain_text("HTTP 500")
        expect(page.locator(".outbox-table")).to_contain_text("CMDB")
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / "outbox-dead-letters-en.png"), full_page=True)

        page.locator(".outbox-table input[type=checkbox]").first.check()
        page.locator(".outbox-table input[type=checkbox]").nth(1).check()
        page.get_by_role("button", name="Send the ticked messages again").click()
        expect(page.locator(".messages")).to_contain_text("2 messages will be sent again")
        assert OutboxMessage.objects.filter(channel="webhook", status=DeliveryStatus.SENT).count() == 2
        assert sum(1 for request in receiver.requests if request.signature_ok) == 2 * MAX_ATTEMPTS + 2

        page.goto(f"{base_url}/desk/outbox/")
        with page.expect_navigation():
            page.select_option("#language-select", "zh-hans")
        expect(page.locator("h1")).to_contain_text("发件箱")
        expect(page.locator(".outbox-table")).to_contain_text("服务台钉钉群")
        page.screenshot(path=str(screenshot_dir / "outbox-zh.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(screenshot_dir / "outbox-zh-phone.png"), full_page=True)
        assert watched.problems == []

    # The navigation offers the outbox to administrators only (User.is_administrator): an agent
    # sees no link, and the page itself refuses them.
    factories.make_user("agent", role=Role.AGENT, teams=[team])
    agent_view = open_context(browser, contexts, locale="zh-CN")
    log_in(agent_view.page, base_url, "agent")
    expect(agent_view.page.locator("a[href='/desk/collaboration/']")).to_have_count(1)
    expect(agent_view.page.locator("a[href='/desk/outbox/']")).to_have_count(0)
    agent_view.page.screenshot(path=str(screenshot_dir / "outbox-agent-navigation-zh.png"))
    refused = agent_view.page.goto(f"{base_url}/desk/outbox/")
    assert refused is not None
    assert refused.status == 403
