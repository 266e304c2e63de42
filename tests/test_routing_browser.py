"""Routing in the agent workspace, in a real browser: the routing sentence and "Escalate to next tier".

Checked for Content-Security-Policy violations, script errors and serious accessibility problems;
screenshots of the ticket page with the open escalation form in English and Chinese (var/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role, TeamTier
from sopdesk.routing import actions as routing
from sopdesk.testing import factories
from sopdesk.tickets.models import Category, Ticket
from tests.conftest import CHROMIUM, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_reads_why_a_ticket_came_and_escalates_it_to_the_next_tier(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    desk = factories.make_team("service-desk", is_intake=True)
    second = factories.make_team("second-line", tier=TeamTier.SECOND_LINE)
    factories.make_user("wang", role=Role.AGENT, teams=[desk])
    li = factories.make_user("li", role=Role.AGENT, teams=[desk])
    li.language = "zh-hans"
    li.save(update_fields=["language"])
    admin = factories.make_user("admin", role=Role.ADMIN)
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    network = Category.objects.get(code="network")
    values = {"position": 3, "name": "VPN", "team": desk, "category": network, "priority": "P2"}
    routing.create_rule(actor=admin, values=values, now=timezone.now())
    first = factories.make_ticket(
        requester, title="VPN 连不上", category="network-vpn", impact="department", urgency="high"
    )
    second_ticket = factories.make_ticket(requester, title="会议室投影不亮")

    for username, ticket, sentence, name in (
        ("li", second_ticket, "路由到受理团队 Service Desk（没有匹配的规则）", "routing-escalate-zh.png"),
        (
            "wang",
            first,
            "Routed to Service Desk by rule 3 (VPN): category network & priority P2",
            "routing-escalate.png",
        ),
    ):
        watched = open_context(browser, contexts, locale="zh-CN" if username == "li" else "en-US")
        page = watched.page
        log_in(page, base_url, username)
        page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
        expect(page.locator("#timeline")).to_contain_text(sentence)
        page.locator("details.escalate summary").click()
        page.fill("#escalate-reason", "需要抓包分析" if username == "li" else "Needs a packet capture")
        assert serious_accessibility_problems(page) == []
        page.screenshot(path=str(screenshot_dir / name), full_page=True)
        page.locator("#escalate-form button[type=submit]").click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert watched.problems == []
        assert Ticket.objects.get(pk=ticket.pk).team == second
