"""The ticket page's knowledge panel in a real browser (Chromium via Playwright).

An agent opens a ticket, finds a suggested article, inserts its solution into the reply, sends it
and marks the ticket solved with the article; screenshots of the page with the panel in both
languages are saved as artefacts (var/screenshots, git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from sopdesk.accounts.choices import Role
from sopdesk.kb import actions as kb
from sopdesk.kb.models import ArticleTicketLink
from sopdesk.testing import factories
from tests.conftest import CHROMIUM, HOSTILE, log_in, open_context, serious_accessibility_problems

if not Path(CHROMIUM).exists() and os.environ.get("SOPDESK_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed; scripts/test.sh installs it where it can", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, expect

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SOLUTION = "Open the VPN client, choose Settings → Keep-alive and set it to 30 seconds."


def test_an_agent_inserts_a_suggested_solution_replies_and_marks_it_solved_with(
    browser: Browser, contexts: list[BrowserContext], live_server: Any, screenshot_dir: Path
) -> None:
    base_url = str(live_server)
    now = timezone.now()
    team = factories.make_team("service-desk", is_intake=True)
    agent = factories.make_user("wang", role=Role.AGENT, teams=[team])
    editor = factories.make_user("chen", role=Role.KB_ADMIN, teams=[team])
    requester = factories.make_user("alice", organization=factories.make_organization("Eastern Manufacturing"))
    article = kb.create_article(
        actor=editor,
        values={
            "title": "VPN 连接每小时断开 / VPN drops every hour",
            "article_type": "troubleshooting",
            "problem": "The VPN client disconnects every hour.",
            "solution": SOLUTION,
            "visibility": "internal",
        },
        now=now,
    )
    kb.submit_for_review(article, actor=editor, now=now)
    kb.approve_article(article, actor=editor, now=now)
    kb.create_article(actor=editor, values={"title": f"VPN draft {HOSTILE}", "solution": "Not published yet."}, now=now)
    ticket = factories.make_ticket(requester, title="VPN 每小时断开", description="VPN drops every hour since Monday.")

    watched = open_context(browser, contexts)
    page = watched.page
    log_in(page, base_url, "wang")
    page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
    suggested = page.locator("#knowledge-suggested")
    expect(suggested).to_contain_text("VPN drops every hour")
    expect(suggested.locator("mark").first).to_be_visible()
    expect(suggested).not_to_contain_text("VPN draft")  # drafts are never suggested
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(screenshot_dir / "ticket-knowledge-en.png"), full_page=True)

    page.fill("#composer-body", "Hello Alice,\n")
    page.locator("#composer-body").evaluate("(body) => body.setSelectionRange(body.value.length, body.value.length)")
    suggested.locator("button:has-text('Insert solution')").first.click()
    expect(page.locator("#composer-body")).to_have_value(f"Hello Alice,\n{SOLUTION}")
    page.click(".composer-send")
    expect(page.locator(".timeline-reply").last).to_contain_text("Keep-alive and set it to 30 seconds")

    page.locator("#knowledge-suggested button:has-text('Solved with this')").first.click()
    expect(page.locator("#knowledge-linked")).to_contain_text("VPN drops every hour")
    expect(page.locator("#knowledge-suggested .badge")).to_contain_text("Solved with this")
    assert ArticleTicketLink.objects.filter(article=article, ticket=ticket, linked_by=agent).exists()
    assert page.evaluate("window.hacked") is None
    assert watched.problems == []

    chinese = open_context(browser, contexts, locale="zh-CN")
    log_in(chinese.page, base_url, "wang")
    with chinese.page.expect_navigation():
        chinese.page.select_option("#language-select", "zh-hans")
    chinese.page.goto(f"{base_url}/desk/tickets/{ticket.number}/")
    expect(chinese.page.locator("#knowledge-linked")).to_contain_text("VPN 连接每小时断开")
    expect(chinese.page.locator("#knowledge-heading")).to_contain_text("知识库")
    expect(chinese.page.locator("#knowledge-linked button[type=submit]")).to_contain_text("取消关联")
    chinese.page.screenshot(path=str(screenshot_dir / "ticket-knowledge-zh.png"), full_page=True)
    chinese.page.set_viewport_size({"width": 390, "height": 844})
    chinese.page.screenshot(path=str(screenshot_dir / "ticket-knowledge-zh-phone.png"), full_page=True)
    assert chinese.problems == []
